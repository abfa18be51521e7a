/**
 * Test helper: put the pct stand-in (test/fixtures/bin/pct, over real LXC) first on PATH for this
 * worker, with its test root under the scope's dir, the template tarball in its `local` storage,
 * and every container it starts stopped (and destroyed with the dir) at scope close.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../../../src/host/local.js';
import { LAB_ROOT, type Scope } from '../../../src/lab/harness/index.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/bin');
const REPO = path.resolve(FIXTURES, '../../..');

/** Build (once, cached outside the repo) the Debian template; its path. */
export async function templateTarball(): Promise<string> {
  const r = await spawnArgv('local', [path.join(REPO, 'scripts/lxc-template.sh')], { timeoutMs: 1_200_000 });
  return r.stdout.trim();
}

/** The environment the stand-in reads for a test root (also what a lab passes to privroute). */
export function standinEnv(s: Scope): Record<string, string> {
  return {
    PATH: `${FIXTURES}:${process.env.PATH}`,
    PCT_STANDIN_ROOT: path.join(s.dir, 'pve'),
    PCT_STANDIN_PID_DIR: path.join(s.dir, 'pids'), // the stale sweep kills CT inits after a crash
  };
}

/**
 * Point `pct` at the stand-in for this process, copy the template into storage `local`, and
 * register the containers for cleanup. Returns the test root and the template's volume id.
 */
export async function useStandin(s: Scope): Promise<{ root: string; template: string }> {
  const env = standinEnv(s);
  Object.assign(process.env, env);
  const root = env.PCT_STANDIN_ROOT!;
  // The container's mapped root (uid 100000) must traverse to its rootfs: x for others, no listing.
  for (const d of [LAB_ROOT, s.dir]) chmodSync(d, 0o711);
  const cache = path.join(root, 'var/lib/vz/template/cache');
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  mkdirSync(path.join(root, 'var/lib/vz/snippets'), { recursive: true, mode: 0o755 });
  const tarball = await templateTarball();
  copyFileSync(tarball, path.join(cache, path.basename(tarball)));
  s.defer('pct stand-in containers', () => stopAll(root));
  return { root, template: `local:vztmpl/${path.basename(tarball)}` };
}

/** Stop every container of a stand-in root (by LXC name in its own LXC path). */
export async function stopAll(root: string): Promise<void> {
  const lxcPath = path.join(root, 'var/lib/lxc');
  for (const id of existsSync(lxcPath) ? readdirSync(lxcPath) : []) {
    await spawnArgv('local', ['/usr/bin/lxc-stop', '-P', lxcPath, '-n', id, '--kill'], { okCodes: [0, 1, 2] });
  }
}
