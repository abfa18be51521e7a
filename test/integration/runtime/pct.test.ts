/**
 * PctRuntime against the pct stand-in (test/fixtures/bin/pct, lxc-info, pveversion) over
 * REAL unprivileged LXC. The Proxmox node's root namespace is played by a lab namespace
 * for links (`ip link ...` runs there), so no link ever appears in this machine's root
 * namespace; pct itself runs on the host like on a real node.
 */
import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns } from '../../../src/lab/harness/index.js';
import { PctRuntime } from '../../../src/runtime/pct.js';
import { LocalExec, spawnArgv } from '../../../src/host/local.js';
import { NetnsExec } from '../../../src/host/netns.js';
import type { HostExec, RunOptions } from '../../../src/host/exec.js';
import { OperationError } from '../../../src/core/errors.js';
import { useStandin } from '../host/pct-standin.js';
import { becomesGone } from '../host/proc-gone.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('lxc-start', 'lxc-usernsexec', 'debootstrap', 'zstd'));
const t0 = skip ? test.skip : test.serial;
const scope = skip ? undefined : new Scope(uniquePrefix('prq'));
let nodeNs: NetnsExec;
let rt: PctRuntime;
let standinRoot = '';
let TEMPLATE = '';

/** The node: `ip link` in the lab node namespace, everything else (pct, lxc-info) on the host. */
function nodeExec(links: NetnsExec): HostExec {
  const local = new LocalExec();
  return {
    target: 'node',
    run: (argv: readonly string[], o?: RunOptions) => (argv[0] === 'ip' && argv[1] === 'link' ? links : local).run(argv, o),
    writeFile: (f, c, m) => local.writeFile(f, c, m),
    readFile: (f) => local.readFile(f),
  };
}

test.before(async () => {
  if (!scope) return;
  const s = await useStandin(scope);
  standinRoot = s.root;
  TEMPLATE = s.template;
  nodeNs = await createNetns(scope, 'node');
  rt = new PctRuntime({ node: nodeExec(nodeNs), tmpDir: scope.dir });
});

test.after.always(async (t) => {
  if (!scope) return;
  const pid = (await spawnArgv('local', ['lxc-info', '-n', '100', '-pH'], { okCodes: [0, 1] })).stdout.trim();
  await scope.close();
  const list = (await spawnArgv('local', ['ip', 'netns', 'list'])).stdout;
  t.false(list.includes(scope.prefix), `namespace left behind: ${list}`);
  if (pid) t.true(await becomesGone(pid), 'container init left running');
  t.false(existsSync(scope.dir));
});

t0('ensure creates the CT with tun (PVE 8.2 → dev0), then leaves it unchanged', async (t) => {
  t.is(await rt.status(100), 'missing');
  t.is(await rt.ensure({ id: 100, hostname: 'privroute-wg', template: TEMPLATE, tun: true }), 'created');
  t.is(statSync(path.join(standinRoot, 'var/lib/lxc/100/rootfs/etc/hostname')).uid, 100000, 'the rootfs belongs to the mapped root');
  const conf = (await spawnArgv('local', ['pct', 'config', '100'])).stdout;
  t.regex(conf, /^dev0: \/dev\/net\/tun$/m);
  t.regex(conf, /^features: nesting=1$/m);
  t.regex(conf, /^unprivileged: 1$/m);
  t.is(await rt.status(100), 'stopped');
  t.is(await rt.ensure({ id: 100, hostname: 'privroute-wg', template: TEMPLATE, tun: true }), 'unchanged');
  await t.throwsAsync(rt.ensure({ id: 100, hostname: 'someone-else', template: TEMPLATE }), { instanceOf: OperationError, message: /already exists with hostname "privroute-wg"/ });
});

t0('start runs it; netnsPathOf is the namespace commands run in', async (t) => {
  await t.throwsAsync(rt.netnsPathOf(100), { instanceOf: OperationError, message: /not running/ });
  await rt.start(100);
  await rt.start(100); // idempotent
  t.is(await rt.status(100), 'running');
  const p = await rt.netnsPathOf(100);
  t.regex(p, /^\/proc\/\d+\/ns\/net$/);
  const inside = (await rt.exec(100).run(['readlink', '/proc/self/ns/net'])).stdout.trim();
  t.is(inside, `net:[${statSync(p).ino}]`);
});

t0('moveLink moves a node link into the running CT by init pid', async (t) => {
  const ifname = `${scope!.prefix}s0`;
  // No dummy module here: a veth pair inside the node stands in for an OVS internal port.
  await nodeNs.run(['ip', 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`]);
  await rt.moveLink(ifname, 100);
  t.true((await rt.exec(100).run(['ip', '-o', 'link'])).stdout.includes(`: ${ifname}@`));
  t.false((await nodeNs.run(['ip', '-o', 'link'])).stdout.includes(`: ${ifname}@`));
});

t0('exec/writeFile through the runtime reach the CT filesystem', async (t) => {
  const ex = rt.exec(100);
  await ex.writeFile('/root/token', 't0k', 0o600);
  const f = path.join(standinRoot, 'var/lib/lxc/100/rootfs/root/token');
  t.is(statSync(f).mode & 0o777, 0o600);
  t.is(statSync(f).uid, 100000);
  t.is((await ex.run(['cat', '/root/token'])).stdout, 't0k');
});

t0('dev0: /dev/net/tun is made for the mapped root, so the container root opens it', async (t) => {
  const ex = rt.exec(100);
  t.is((await ex.run(['stat', '-c', '%u:%g', '/dev/net/tun'])).stdout.trim(), '0:0');
  // `ip tuntap add` opens /dev/net/tun and makes a persistent TUN device in the CT's namespace.
  await ex.run(['ip', 'tuntap', 'add', 'dev', 'tuntest', 'mode', 'tun']);
  t.regex((await ex.run(['ip', '-o', 'link', 'show', 'dev', 'tuntest'])).stdout, /tuntest/);
});

t0('PVE < 8.1: the raw bind lines alone give the unprivileged root a node it cannot open (the wall dev0 removes)', async (t) => {
  const old = new PctRuntime({ node: nodeExec(nodeNs), tmpDir: scope!.dir, pveVersion: '7.4.1', confDir: path.join(standinRoot, 'etc/pve/lxc') });
  t.is(await old.ensure({ id: 103, hostname: 'legacy', template: TEMPLATE, tun: true }), 'created');
  const conf = (await spawnArgv('local', ['pct', 'config', '103'])).stdout;
  t.regex(conf, /^lxc\.mount\.entry: \/dev\/net\/tun dev\/net\/tun none bind,create=file$/m);
  t.notRegex(conf, /^dev0:/m);
  await old.start(103);
  t.is((await old.exec(103).run(['stat', '-c', '%U %a', '/dev/net/tun'])).stdout.trim(), 'nobody 600');
  const r = await old.exec(103).run(['ip', 'tuntap', 'add', 'dev', 'tuntest', 'mode', 'tun'], { okCodes: [0, 1, 255] });
  t.not(r.code, 0);
  t.regex(r.stderr, /Permission denied|Operation not permitted/);
});
