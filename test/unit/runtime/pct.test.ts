import test from 'ava';
import { PctRuntime, parsePveVersion, parsePctConfig, hasTun, LEGACY_TUN_LINES } from '../../../src/runtime/pct.js';
import { PctExec } from '../../../src/host/pct.js';
import { InputError, OperationError } from '../../../src/core/errors.js';
import { REST } from '../../../src/host/fake.js';
import { pctNode } from '../host/pct-model.js';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst';

/** Model `pct create`: records the CT with its options as config. */
function withCreate(node: ReturnType<typeof pctNode>) {
  return node.on(['pct', 'create', /\d+/, /\S+/, REST], ({ captures: [id, , ...opts], state, fake }) => {
    const conf: Record<string, string> = {};
    for (let i = 0; i < opts.length; i += 2) conf[opts[i]!.replace(/^--/, '')] = opts[i + 1]!;
    state.cts.set(Number(id), { running: false, config: conf, files: new Map(), pushedFromMode: [] });
    fake.files.set(`/etc/pve/lxc/${id}.conf`, {
      content: Buffer.from(Object.entries(conf).map(([k, v]) => `${k}: ${v}\n`).join('') + '\n[snap1]\nhostname: old\n'),
      mode: 0o640,
    });
  });
}

test('parsers', (t) => {
  t.deepEqual(parsePveVersion('pve-manager/8.1.4/ec5affc9e41f1d79 (running kernel: 6.5.11-8-pve)\n'), [8, 1]);
  t.throws(() => parsePveVersion('bash: pveversion: command not found'), { instanceOf: OperationError });
  t.deepEqual(parsePctConfig('arch: amd64\nhostname: gw\nlxc.mount.entry: a b\n'), { arch: 'amd64', hostname: 'gw', 'lxc.mount.entry': 'a b' });
});

test('ensure creates a missing CT with the documented pct create argv (PVE ≥ 8.1: dev0 tun)', async (t) => {
  const node = withCreate(pctNode());
  const rt = new PctRuntime({ node });
  t.is(await rt.ensure({ id: 100, hostname: 'privroute-wg', template: TEMPLATE, tun: true }), 'created');
  const create = node.runs().find((a) => a[1] === 'create')!;
  t.deepEqual(create, [
    'pct', 'create', '100', TEMPLATE, '--hostname', 'privroute-wg', '--unprivileged', '1', '--features', 'nesting=1',
    '--rootfs', 'local-lvm:4', '--memory', '512', '--dev0', '/dev/net/tun',
  ]);
  t.is(await rt.status(100), 'stopped');
  t.is(await rt.ensure({ id: 100, hostname: 'privroute-wg', template: TEMPLATE, tun: true }), 'unchanged');
  t.is(node.runs().filter((a) => a[1] === 'create').length, 1);
  node.assertDone();
});

test('ensure on PVE < 8.1 appends the raw lxc tun lines before snapshot sections, once', async (t) => {
  const node = withCreate(pctNode());
  node.state.pve = '7.4.3';
  const rt = new PctRuntime({ node });
  await rt.ensure({ id: 101, hostname: 'xray', template: TEMPLATE, tun: true, storage: 'local-zfs', diskGb: 8, memoryMb: 256 });
  const create = node.runs().find((a) => a[1] === 'create')!;
  t.false(create.includes('--dev0'));
  t.true(create.includes('local-zfs:8'));
  const conf = node.files.get('/etc/pve/lxc/101.conf')!.content.toString();
  const lines = conf.split('\n');
  for (const l of LEGACY_TUN_LINES) t.is(lines.filter((x) => x === l).length, 1);
  t.true(conf.indexOf(LEGACY_TUN_LINES[0]) < conf.indexOf('[snap1]'));
});

test('ensure refuses an id held by a different container and never touches it', async (t) => {
  const node = pctNode({ 100: { config: { hostname: 'someones-db' } } });
  const e = await t.throwsAsync(new PctRuntime({ node }).ensure({ id: 100, hostname: 'privroute-wg', template: TEMPLATE }), { instanceOf: OperationError });
  t.regex(e!.message, /someones-db/);
  t.regex(e!.hint!, /free container id/);
  t.false(node.runs().some((a) => ['create', 'set', 'destroy', 'start'].includes(a[1]!)));
});

test('ensure validates the whole spec before running anything', async (t) => {
  const node = pctNode();
  const e = await t.throwsAsync(new PctRuntime({ node }).ensure({ id: 7, hostname: 'bad name;', template: 'debian.tar.gz', memoryMb: -1 }), { instanceOf: InputError });
  t.is(e!.problems.length, 4);
  t.is(node.calls.length, 0);
  const e2 = await t.throwsAsync(new PctRuntime({ node }).ensure({ id: 100, hostname: 'gw' }), { instanceOf: InputError });
  t.regex(e2!.message, /pveam/);
});

test('hasTun recognises devN and the legacy lxc lines', (t) => {
  t.true(hasTun('arch: amd64\ndev0: /dev/net/tun\n'));
  t.true(hasTun('dev3: /dev/net/tun,mode=0666\n'));
  t.false(hasTun('dev0: /dev/net/tunx\n'));
  t.true(hasTun(`lxc.cgroup2.devices.allow: c 1:3 rwm\n${LEGACY_TUN_LINES.join('\n')}\n`));
  t.false(hasTun(`${LEGACY_TUN_LINES[1]}\n`));
});

test('ensure refuses an existing CT that lacks the tun device it needs, and says how to add it', async (t) => {
  const node = pctNode({ 100: { config: { hostname: 'gw' } } });
  const rt = new PctRuntime({ node });
  t.is(await rt.ensure({ id: 100, hostname: 'gw' }), 'unchanged');
  const e = await t.throwsAsync(rt.ensure({ id: 100, hostname: 'gw', tun: true }), { instanceOf: OperationError, message: /no \/dev\/net\/tun/ });
  t.regex(e!.hint!, /pct set 100 --dev0 \/dev\/net\/tun/);
  node.state.cts.get(100)!.config.dev0 = '/dev/net/tun';
  t.is(await rt.ensure({ id: 100, hostname: 'gw', tun: true }), 'unchanged');
});

test('status maps running/stopped/missing; start starts only a stopped CT', async (t) => {
  const node = pctNode({ 100: { running: false, config: { hostname: 'gw' } } });
  const rt = new PctRuntime({ node });
  t.is(await rt.status(100), 'stopped');
  t.is(await rt.status(105), 'missing');
  t.false(await rt.exists(105));
  await rt.start(100);
  t.is(await rt.status(100), 'running');
  await rt.start(100); // no second pct start
  t.is(node.runs().filter((a) => a[1] === 'start').length, 1);
  await t.throwsAsync(rt.start(105), { instanceOf: OperationError, message: /does not exist/ });
});

test('netnsPathOf and moveLink use the init pid from lxc-info', async (t) => {
  const node = pctNode({ 100: { running: true, config: { hostname: 'gw' } }, 101: { running: false } });
  node.state.links.set('internal_100', 'node');
  const rt = new PctRuntime({ node });
  t.is(await rt.netnsPathOf(100), '/proc/4100/ns/net');
  await rt.moveLink('internal_100', 100);
  t.is(node.state.links.get('internal_100'), 'pid:4100');
  await t.throwsAsync(rt.netnsPathOf(101), { instanceOf: OperationError, message: /not running/ });
  await t.throwsAsync(rt.moveLink('bad/name', 100), { instanceOf: InputError });
  await t.throwsAsync(rt.netnsPathOf(999), { instanceOf: OperationError, message: /does not exist/ });
});

test('template and storage default from the runtime config', async (t) => {
  const node = withCreate(pctNode());
  await new PctRuntime({ node, defaults: { template: TEMPLATE, storage: 'tank' } }).ensure({ id: 102, hostname: 'mesh' });
  const create = node.runs().find((a) => a[1] === 'create')!;
  t.is(create[3], TEMPLATE);
  t.true(create.includes('tank:4'));
});

test('exec returns a PctExec for the container', (t) => {
  const ex = new PctRuntime({ node: pctNode() }).exec(100);
  t.true(ex instanceof PctExec);
  t.is(ex.target, 'pct:100');
});

// Issue 11 item 8: an existing chain container was accepted on its hostname alone.
// A CT101 with a net0 of its own has a second way out (its own gateway) that
// bypasses the chain, e.g. after a reboot before privroute runs again.
test('verifyExisting refuses a chain container with its own netN (exit 2, the fix named), touching nothing', async (t) => {
  const node = pctNode({ 101: { running: true, config: { hostname: 'privroute-xray', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', net3: 'name=eth3,bridge=vmbr1' } } });
  const rt = new PctRuntime({ node });
  const e = await t.throwsAsync(rt.verifyExisting({ id: 101, hostname: 'privroute-xray', chain: true }), { instanceOf: InputError });
  t.is(e!.exitCode, 2);
  t.regex(e!.message, /container 101/);
  t.regex(e!.message, /net0/);
  t.regex(e!.message, /net3/);
  t.regex(e!.message, /pct set 101 --delete net0,net3/);
  t.false(node.runs().some((a) => ['create', 'set', 'destroy', 'start', 'stop'].includes(a[1]!)));
  // ensure() (the create path, racing a CT created meanwhile) refuses it the same way.
  await t.throwsAsync(rt.ensure({ id: 101, hostname: 'privroute-xray', template: TEMPLATE, chain: true }), { instanceOf: InputError });
});

test('verifyExisting: a clean chain CT, a missing CT, and a non-chain CT with a net0 are accepted; another hostname is refused', async (t) => {
  const node = pctNode({
    100: { config: { hostname: 'privroute-wg', dev0: '/dev/net/tun' } },
    200: { config: { hostname: 'vector-db', net0: 'name=eth0,bridge=vmbr0' } },
    300: { config: { hostname: 'someones-db' } },
  });
  const rt = new PctRuntime({ node });
  await t.notThrowsAsync(rt.verifyExisting({ id: 100, hostname: 'privroute-wg', chain: true }));
  await t.notThrowsAsync(rt.verifyExisting({ id: 101, hostname: 'privroute-xray', chain: true }));
  await t.notThrowsAsync(rt.verifyExisting({ id: 200, hostname: 'vector-db' }));
  const e = await t.throwsAsync(rt.verifyExisting({ id: 300, hostname: 'privroute-wg', chain: true }));
  t.regex(e!.message, /someones-db/);
});
