/**
 * What the running engine loaded. A restart used to follow only from files
 * *this* run changed, so a run that died between writing the config and
 * restarting (a dropped SSH link) left the old config running for good: the next
 * run found the files already right. Now every successful (re)start — or hot
 * apply through the engine API — records a stamp of the files the engine reads
 * (`<config>.loaded`, 0600); a run whose desired files do not match the stamp
 * restarts, whatever it wrote itself. A stamp written late (the link dies after
 * the restart, before the stamp) only costs one extra restart.
 */
import { createHash } from 'node:crypto';
import type { HostExec } from '../../host/exec.js';

/** The stamp of a set of file contents, in the order the caller lists them. Pure. */
export function loadedStamp(contents: readonly string[]): string {
  const h = createHash('sha256');
  for (const c of contents) h.update(`${Buffer.byteLength(c)}:`).update(c);
  return `sha256:${h.digest('hex')}\n`;
}

/** Where the stamp of the engine reading `configPath` lives. */
export function stampPath(configPath: string): string {
  return `${configPath}.loaded`;
}

/** True when the engine did not (provably) load `stamp`: absent or different stamp. Read-only. */
export async function loadedIsStale(exec: HostExec, configPath: string, stamp: string): Promise<boolean> {
  const have = await exec.readFile(stampPath(configPath)).then((b) => b.toString('utf8'), () => null);
  return have !== stamp;
}

/** Record that the engine now runs with `stamp` (after a successful restart or hot apply). */
export async function recordLoaded(exec: HostExec, configPath: string, stamp: string): Promise<void> {
  await exec.writeFile(stampPath(configPath), stamp, 0o600);
}
