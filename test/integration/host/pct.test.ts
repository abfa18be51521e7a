/**
 * PctExec against the pct stand-in (test/fixtures/bin/pct) over REAL unprivileged LXC:
 * a container made from the Debian template, with its own user, mount and network
 * namespaces. Proves the argv/no-shell path, push/pull with modes and the mapped
 * ownership, and the atomic write sequence end to end.
 */
import test from 'ava';
import { existsSync, statSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, sweepStale } from '../../../src/lab/harness/index.js';
import { useStandin } from './pct-standin.js';
import { PctExec } from '../../../src/host/pct.js';
import { LocalExec, spawnArgv } from '../../../src/host/local.js';
import { ExecError } from '../../../src/host/exec.js';
import { HOSTILE } from '../../unit/host/hostile-strings.js';
import { becomesGone, gone } from './proc-gone.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('lxc-start', 'lxc-usernsexec', 'debootstrap', 'zstd'));
const t0 = skip ? test.skip : test.serial;
const scope = skip ? undefined : new Scope(uniquePrefix('prp'));
const local = new LocalExec();
let rootfs = '';
let staging = '';
let template = '';

/** The CT's init pid as LXC reports it (through the stand-in's lxc-info). */
async function initPid(id: number): Promise<string> {
  return (await local.run(['lxc-info', '-n', String(id), '-pH'])).stdout.trim();
}

test.before(async () => {
  if (!scope) return;
  const s = await useStandin(scope);
  template = s.template;
  staging = path.join(scope.dir, 'staging');
  await local.run(['mkdir', '-m', '0700', staging]);
  await local.run(['pct', 'create', '100', template, '--hostname', 'gw'], { timeoutMs: 120_000 });
  await local.run(['pct', 'start', '100']);
  rootfs = path.join(s.root, 'var/lib/lxc/100/rootfs');
});

test.after.always(async (t) => {
  if (!scope) return;
  const pid = await initPid(100).catch(() => '');
  await scope.close();
  if (pid) t.true(await becomesGone(pid), 'container init left running');
  t.false(existsSync(scope.dir), 'scope dir left behind');
});

t0('run: argv reaches the container unchanged, no shell, inside its namespace', async (t) => {
  const pct = new PctExec(100, { node: local, tmpDir: staging });
  const r = await pct.run(['printf', '%s\\0', ...HOSTILE]);
  const got = r.stdout.split('\0');
  t.is(got.pop(), '');
  t.deepEqual(got, [...HOSTILE]);
  const links = (await pct.run(['ip', '-o', 'link'])).stdout.trim().split('\n');
  t.is(links.length, 1, 'no network of its own (lxc.net.0.type = empty)');
  t.regex(links[0]!, /^1: lo:/);
  // Unprivileged: the container's root is uid 100000 on the node.
  t.is((await pct.run(['id', '-u'])).stdout.trim(), '0');
  t.is((await pct.run(['cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/).join(' '), '0 100000 65536');
  t.is((await pct.run(['cat'], { stdin: 'x\ny' })).stdout, 'x\ny');
  t.is((await pct.run(['printenv', 'K'], { env: { K: 'a b' } })).stdout, 'a b\n');
});

t0('run: a non-zero exit is an ExecError on pct:100 with code and stderr', async (t) => {
  const e = await t.throwsAsync(new PctExec(100, { node: local }).run(['cat', '/nope']), { instanceOf: ExecError });
  t.is(e!.target, 'pct:100');
  t.is(e!.status, 1);
  t.regex(e!.stderr, /No such file/);
  t.deepEqual(e!.argv, ['cat', '/nope']);
});

t0('writeFile: lands at the container path with the mode, atomically, no temp left', async (t) => {
  const pct = new PctExec(100, { node: local, tmpDir: staging });
  await pct.run(['mkdir', '-p', '/etc/wireguard']);
  await pct.writeFile('/etc/wireguard/wg0.conf', 'PrivateKey = secret\n', 0o600);
  const onDisk = path.join(rootfs, 'etc/wireguard/wg0.conf');
  t.is(statSync(onDisk).mode & 0o777, 0o600);
  t.is(statSync(onDisk).uid, 100000, 'owned by the mapped root, as pct push does');
  t.is(readFileSync(onDisk, 'utf8'), 'PrivateKey = secret\n');
  t.is((await pct.run(['cat', '/etc/wireguard/wg0.conf'])).stdout, 'PrivateKey = secret\n');
  await pct.writeFile('/etc/wireguard/wg0.conf', 'v2', 0o640);
  t.is(statSync(onDisk).mode & 0o777, 0o640);
  t.deepEqual(readdirSync(path.join(rootfs, 'etc/wireguard')), ['wg0.conf']);
  t.deepEqual(readdirSync(staging), [], 'node-side staging file removed');
  t.is((await pct.readFile('/etc/wireguard/wg0.conf')).toString(), 'v2');
  t.deepEqual(readdirSync(staging), []);
});

t0('a stopped container refuses exec and push', async (t) => {
  await local.run(['pct', 'stop', '100']);
  try {
    const pct = new PctExec(100, { node: local, tmpDir: staging });
    await t.throwsAsync(pct.run(['true']), { instanceOf: ExecError, message: /not running|Failed to get init pid/ });
    await t.throwsAsync(pct.writeFile('/etc/x', 'x', 0o600), { instanceOf: ExecError, message: /running CT/ });
    t.deepEqual(readdirSync(staging), []);
  } finally {
    await local.run(['pct', 'start', '100']);
  }
});

t0('a crashed run is swept: the stand-in CT init goes with the scope', async (t) => {
  const crashed = new Scope(uniquePrefix('prz'));
  const keys = ['PATH', 'PCT_STANDIN_ROOT', 'PCT_STANDIN_PID_DIR'];
  const saved = keys.map((k) => process.env[k]);
  try {
    const s = await useStandin(crashed);
    await local.run(['pct', 'create', '102', s.template], { timeoutMs: 120_000 });
    await local.run(['pct', 'start', '102']);
    const pid = await initPid(102);
    t.false(gone(pid), 'the CT init runs before the sweep');
    // Simulate a killed test run: no scope.close(), only the sweep.
    await sweepStale(crashed.prefix);
    t.true(await becomesGone(pid));
    t.false(existsSync(crashed.dir));
  } finally {
    keys.forEach((k, i) => (process.env[k] = saved[i]));
    await crashed.close();
  }
});
