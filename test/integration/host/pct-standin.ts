/** Test helper: put the pct stand-in (test/fixtures/bin/pct) first on PATH for this worker. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteNetns, killGroup, type Scope } from '../../../src/lab/harness/index.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/bin');

/** Point `pct` at the stand-in and register its containers for cleanup. */
export function useStandin(s: Scope): { dir: string; prefix: string } {
  const dir = path.join(s.dir, 'pct');
  const prefix = `${s.prefix}ct`;
  process.env.PATH = `${FIXTURES}:${process.env.PATH}`;
  process.env.PCT_STANDIN_DIR = dir;
  process.env.PCT_STANDIN_NETNS_PREFIX = prefix;
  process.env.PCT_STANDIN_PID_DIR = path.join(s.dir, 'pids'); // the stale sweep kills CT inits after a crash
  s.defer('pct stand-in containers', async () => {
    for (const id of existsSync(dir) ? readdirSync(dir) : []) {
      const pidFile = path.join(dir, id, 'init.pid');
      if (existsSync(pidFile)) killGroup(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      await deleteNetns(prefix + id);
    }
  });
  return { dir, prefix };
}
