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

/** What {@link restartIfStale} decided. */
export interface RunDecision {
  restarted: boolean;
  /** The engine ran but had not loaded the desired files (an earlier run died before its restart). */
  staleOnly: boolean;
}

/**
 * The `run` step shared by both ends of the hop: (re)start the engine when this
 * run changed its files or unit, when it is not running, or when what it loaded
 * is not `stamp`; then record the stamp. Each remote call runs through `step`
 * (the caller's step wrapper, which names host and step in errors).
 */
export async function restartIfStale(
  step: <T>(fn: () => Promise<T>) => Promise<T>,
  o: { exec: HostExec; configPath: string; stamp: string; changed: boolean; active: boolean; restart: () => Promise<void> },
): Promise<RunDecision> {
  const stale = await step(() => loadedIsStale(o.exec, o.configPath, o.stamp));
  const restarted = o.changed || !o.active || stale;
  if (restarted) {
    await step(o.restart);
    await step(() => recordLoaded(o.exec, o.configPath, o.stamp));
  }
  return { restarted, staleOnly: stale && !o.changed && o.active };
}
