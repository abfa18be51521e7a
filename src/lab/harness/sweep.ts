/**
 * The stale-resource sweep: after a crashed or killed test run / lab, remove
 * what its Scope recorded — processes by pid (only if the pid still has the same
 * start time, so a reused pid is never killed), namespaces by name, run dirs —
 * for scopes whose owner process is gone. Never touches anything it did not record,
 * except namespaces whose names start with a given explicit prefix.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../host/local.js';
import { deleteNetns } from './netns.js';
import { killGroup, procStartTime, sleep } from './process.js';
import { LAB_ROOT } from './scope.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kill the processes recorded in a scope dir's pid files (pid + start time must match). */
async function killRecorded(dir: string): Promise<number> {
  const pidDir = path.join(dir, 'pids');
  if (!existsSync(pidDir)) return 0;
  let n = 0;
  for (const f of readdirSync(pidDir)) {
    const [pidS, start] = readFileSync(path.join(pidDir, f), 'utf8').trim().split(' ');
    const pid = Number(pidS);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    if (procStartTime(pid) !== null && procStartTime(pid) === (start ?? '')) {
      killGroup(pid, 'SIGKILL');
      n++;
    }
  }
  if (n > 0) await sleep(200);
  return n;
}

/**
 * Sweep stale scopes. With `prefix`, the scope named exactly that and the
 * namespaces `<prefix>-*`; without, every scope whose owner process is dead,
 * except persistent labs (`lab.json`, removed by `privroute lab down`).
 * Returns what was removed.
 */
export async function sweepStale(prefix?: string): Promise<string[]> {
  const removed: string[] = [];
  if (existsSync(LAB_ROOT)) {
    for (const name of readdirSync(LAB_ROOT)) {
      // Exact scope name: prefix `pr` must not sweep the scope `pr1a2b` of another run.
      if (prefix && name !== prefix) continue;
      const dir = path.join(LAB_ROOT, name);
      const ownerFile = path.join(dir, 'owner');
      const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : NaN;
      if (!prefix && Number.isInteger(owner) && owner !== process.pid && alive(owner)) continue;
      // A lab brought up by `privroute lab up` outlives its CLI on purpose: only
      // `privroute lab down --prefix P` (or an explicit prefix) removes it.
      if (!prefix && existsSync(path.join(dir, 'lab.json'))) continue;
      const killed = await killRecorded(dir);
      if (killed) removed.push(`${name}: ${killed} process(es)`);
      const nsFile = path.join(dir, 'netns');
      if (existsSync(nsFile)) {
        for (const ns of readFileSync(nsFile, 'utf8').split('\n').filter(Boolean)) {
          await deleteNetns(ns);
          removed.push(`netns ${ns}`);
        }
      }
      rmSync(dir, { recursive: true, force: true });
      removed.push(`dir ${dir}`);
    }
  }
  if (prefix) {
    const { stdout } = await spawnArgv('local', ['ip', 'netns', 'list']);
    for (const line of stdout.split('\n')) {
      const ns = line.split(' ')[0];
      if (ns && (ns === prefix || ns.startsWith(`${prefix}-`))) {
        await deleteNetns(ns);
        removed.push(`netns ${ns}`);
      }
    }
  }
  return removed;
}
