/**
 * Wiring for the pct STAND-IN (test/fixtures/bin/pct over real LXC): the environment that
 * points `pct`, `pveam`, `pvesm`, `pveversion` and `lxc-info` at it, its test root under a
 * scope's dir, and the Debian template (built once by scripts/lxc-template.sh, cached
 * outside the repository) in its storage `local`. Used by `privroute lab up --runtime pct`
 * and the pct integration/e2e tests. Never used on a real node.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../host/local.js';
import { LAB_ROOT, type Scope } from './harness/index.js';
import type { HostExec } from '../host/exec.js';
import { LocalExec } from '../host/local.js';
import { PrefixedExec } from '../host/prefixed.js';

/** The repository root (src/lab or dist/src/lab → up to the dir holding scripts/). */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) if (existsSync(path.resolve(here, up, 'scripts/lxc-template.sh'))) return path.resolve(here, up);
  throw new Error('scripts/lxc-template.sh not found next to the lab code');
}

/** The stand-in's bin dir (pct and its symlinks). */
export function standinBin(): string {
  return path.join(repoRoot(), 'test/fixtures/bin');
}

/** Build (once; cached) the Debian template tarball; its path. */
export async function templateTarball(): Promise<string> {
  const r = await spawnArgv('local', [path.join(repoRoot(), 'scripts/lxc-template.sh')], { timeoutMs: 1_800_000 });
  return r.stdout.trim();
}

/** The environment the stand-in reads for a scope's test root. */
export function standinEnv(s: Scope): Record<string, string> {
  return {
    PATH: `${standinBin()}:${process.env.PATH}`,
    PCT_STANDIN_ROOT: path.join(s.dir, 'pve'),
    PCT_STANDIN_PID_DIR: path.join(s.dir, 'pids'), // the stale sweep kills CT inits after a crash
  };
}

/**
 * Prepare a stand-in root in `s`: traversable by the containers' mapped root, storage dirs,
 * the template copied into `local`. Returns the env to run pct with, the root and the
 * template's volume id. Containers die with the scope: their inits are recorded in the
 * scope's pid dir (the sweep / lab down kills them).
 */
export async function prepareStandin(s: Scope): Promise<{ env: Record<string, string>; root: string; template: string; tarball: string }> {
  const env = standinEnv(s);
  const root = env.PCT_STANDIN_ROOT!;
  // The container's mapped root (uid 100000) must traverse to its rootfs: x for others, no listing.
  for (const d of [LAB_ROOT, s.dir]) chmodSync(d, 0o711);
  const cache = path.join(root, 'var/lib/vz/template/cache');
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  mkdirSync(path.join(root, 'var/lib/vz/snippets'), { recursive: true, mode: 0o755 });
  const tarball = await templateTarball();
  copyFileSync(tarball, path.join(cache, path.basename(tarball)));
  return { env, root, template: `local:vztmpl/${path.basename(tarball)}`, tarball };
}

/** What the lab's chain containers need (src/init/engines.ts), pre-fetched for the lab's node. */
export const LAB_CT_PACKAGES = ['wireguard-tools', 'iptables', 'wireguard-go', 'curl', 'v2ray'];

/**
 * The lab's node sits on the lab's own wan, with no route to a Debian mirror: fetch (once, with
 * this machine's network) the archives a container made from `tarball` lacks into `dir`, the
 * archive cache privroute's engines component then finds them in (PRIVROUTE_DEB_CACHE). On a
 * real node privroute fetches them itself.
 */
export async function prefetchDebs(scope: Scope, tarball: string, dir: string): Promise<void> {
  const status = path.join(scope.dir, 'template-dpkg-status');
  const st = await spawnArgv('local', ['tar', '--zstd', '-xOf', tarball, './var/lib/dpkg/status'], { timeoutMs: 120_000 });
  writeFileSync(status, st.stdout, { mode: 0o600 });
  mkdirSync(path.join(dir, 'partial'), { recursive: true });
  await spawnArgv('local', [
    'apt-get', '-q', '-y', '--no-install-recommends', '-o', `Dir::State::status=${status}`, '-o', `Dir::Cache::archives=${dir}`,
    '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root', '--download-only', 'install', ...LAB_CT_PACKAGES,
  ], { timeoutMs: 900_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
}


/**
 * Stop every container of a stand-in root with `lxc-stop --kill`, run through `node` (LXC's
 * command sockets are abstract, so per network namespace: stop them where they were started).
 */
export async function stopStandinContainers(root: string, node: HostExec): Promise<void> {
  const lxcPath = path.join(root, 'var/lib/lxc');
  for (const id of existsSync(lxcPath) ? readdirSync(lxcPath) : []) {
    await node.run(['/usr/bin/lxc-stop', '-P', lxcPath, '-n', id, '--kill'], { okCodes: [0, 1, 2] });
  }
}

/**
 * argv prefix that runs a command in the lab node's network namespace but in this machine's
 * mount namespace: LXC needs the real /sys/fs/cgroup, which `ip netns exec` hides.
 */
export function inNodeNet(nodeNs: string): string[] {
  return ['nsenter', `--net=/run/netns/${nodeNs}`, '--'];
}

/** A HostExec for pct & co. on the lab's node (see {@link inNodeNet}). */
export function standinNode(nodeNs: string): HostExec {
  return new PrefixedExec(new LocalExec(), inNodeNet(nodeNs), `node:${nodeNs}`);
}
