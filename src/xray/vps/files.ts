/**
 * Config files on a host, written so a half-written or invalid config can never
 * be live: unchanged content is left alone; otherwise the candidate is written
 * atomically (0600) beside the target, validated by the engine, and only then
 * atomically written to the real path.
 */
import type { HostExec } from '../../host/exec.js';
import { testArgv } from '../engine.js';
import type { EngineInfo } from '../types.js';

/** Read a file as text, or null when absent. */
export async function readText(exec: HostExec, path: string): Promise<string | null> {
  return exec.readFile(path).then((b) => b.toString('utf8'), () => null);
}

/** Write `content` at `mode` if it differs; true if written. */
export async function ensureFile(exec: HostExec, path: string, content: string, mode: number): Promise<boolean> {
  if ((await readText(exec, path)) === content) return false;
  await exec.writeFile(path, content, mode);
  return true;
}

/**
 * Write an engine config if it differs, after `engine -test` accepted the
 * candidate. Returns true if the live file changed.
 */
export async function ensureEngineConfig(exec: HostExec, engine: EngineInfo, binary: string, path: string, content: string): Promise<boolean> {
  if ((await readText(exec, path)) === content) return false;
  const candidate = `${path}.candidate`;
  await exec.writeFile(candidate, content, 0o600);
  try {
    await exec.run(testArgv(engine, binary, candidate), { timeoutMs: 20_000 });
    await exec.writeFile(path, content, 0o600);
  } finally {
    await exec.run(['rm', '-f', candidate]).catch(() => undefined);
  }
  return true;
}
