import test from 'ava';
import { validateConfig } from '../../../src/config/validate.js';
import { formatChecks, planChecks, type NodeObservation } from '../../../src/proxmox/doctor.js';
import { parsePctList, parsePveamList, parsePvesmStatus } from '../../../src/proxmox/doctor-observe.js';
import { desiredContainers } from '../../../src/appliance/containers.js';
import { seed } from '../config/_seed.js';

const config = validateConfig(seed());
const specs = desiredContainers({ config });
const TEMPLATE = config.plugins.privacy_router.runtime.template!;

/** A node where everything init needs is there. */
const good = (): NodeObservation => ({
  pveversion: 'pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)\n',
  wireguardModule: true,
  ovs: { version: '3.1.0' },
  bridgePorts: null,
  templates: [TEMPLATE],
  storages: [{ name: 'local', type: 'dir', status: 'active' }, { name: 'local-lvm', type: 'lvmthin', status: 'active' }],
  nodeVersion: '20.11.1',
  containers: [{ id: 999, name: 'other' }],
  vps: 'ok',
});
const byName = (o: NodeObservation) => Object.fromEntries(planChecks(config, o, specs, ['internal_100', 'internal_101', 'warp0']).map((c) => [c.name, c]));

test('planChecks: a node with everything passes every check, one line each', (t) => {
  const checks = planChecks(config, good(), specs, []);
  t.deepEqual(checks.map((c) => c.name), ['pve', 'wireguard', 'ovs', 'bridge', 'template', 'storage', 'node', 'container-ids', 'vps']);
  t.true(checks.every((c) => c.ok), formatChecks(checks));
  t.is(formatChecks(checks).split('\n').length, checks.length);
  t.regex(byName(good()).pve!.detail, /Proxmox VE 8\.2\.4/);
  t.regex(byName(good())['container-ids']!.detail, /free: 100, 101/);
});

test('planChecks: each missing thing is its own MISS line with a fix', (t) => {
  const bad: NodeObservation = {
    pveversion: null,
    wireguardModule: false,
    ovs: { error: 'connect ENOENT /var/run/openvswitch/db.sock' },
    bridgePorts: [{ name: 'ovsbr0', owned: false }, { name: 'tap102i0', owned: false }, { name: 'internal_100', owned: false }],
    templates: [],
    storages: [{ name: 'local', type: 'dir', status: 'active' }],
    nodeVersion: '18.19.0',
    containers: [{ id: 100, name: 'someones-db' }, { id: 101, name: 'privroute-xray' }],
    vps: { error: 'host key SHA256:abc does not match the pinned SHA256:def' },
  };
  const c = byName(bad);
  for (const n of ['pve', 'ovs', 'bridge', 'template', 'storage', 'node', 'container-ids', 'vps']) t.false(c[n]!.ok, n);
  // The seed's gateway uses the userspace backend by default: no module is fine then.
  t.true(c.wireguard!.ok);
  t.regex(c.bridge!.detail, /tap102i0/);
  t.notRegex(c.bridge!.detail, /internal_100/, 'a wanted port whose mark was cleared is still privroute\'s');
  t.regex(c.template!.fix!, /pveam download local debian-12/);
  t.regex(c.storage!.detail, /local-lvm does not exist/);
  t.regex(c.node!.fix!, /Node\.js 20/);
  t.regex(c['container-ids']!.detail, /100 \(held by "someones-db"/);
  t.notRegex(c['container-ids']!.detail, /101/);
  const text = formatChecks(Object.values(c));
  t.is(text.split('\n').filter((l) => l.startsWith('MISS')).length, 8);
  t.is(text.split('\n').filter((l) => /^\s+fix: /.test(l)).length, 8);
});

test('planChecks: kernel backend without the module is missing; PVE 7 is too old; stopped storage', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.wireguard.backend = 'kernel';
  const k = validateConfig(doc);
  const o = { ...good(), wireguardModule: false, pveversion: 'pve-manager/7.4.3/x', storages: [{ name: 'local-lvm', type: 'lvmthin', status: 'inactive' }] };
  const c = Object.fromEntries(planChecks(k, o, specs, []).map((x) => [x.name, x]));
  t.false(c.wireguard!.ok);
  t.regex(c.wireguard!.fix!, /backend to "userspace"/);
  t.false(c.pve!.ok);
  t.false(c.storage!.ok);
  t.regex(c.storage!.detail, /inactive/);
});

test('parsers: pct list, pvesm status, pveam list as the stand-in and PVE print them', (t) => {
  t.deepEqual(parsePctList('VMID       Status     Lock         Name                \n100        running                 privroute-wg        \n101        stopped    backup       privroute-xray\n'), [
    { id: 100, name: 'privroute-wg' },
    { id: 101, name: 'privroute-xray' },
  ]);
  t.deepEqual(parsePctList(''), []);
  t.deepEqual(parsePvesmStatus('Name             Type     Status           Total\nlocal            dir      active     1000\n'), [{ name: 'local', type: 'dir', status: 'active' }]);
  t.deepEqual(parsePveamList('NAME      SIZE\nlocal:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst  120.29MB\n'), ['local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst']);
});
