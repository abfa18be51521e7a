/**
 * OVSDB bridge/port reconcile against a private ovsdb-server + ovs-vswitchd
 * (userspace datapath, run dir under the lab scope, inside a namespace).
 * Witness: ovs-vsctl. Proves: ensureBridge/ensurePorts create what is asked,
 * a second run commits no change (next_cfg unchanged, no mutating transact), a
 * port privroute does not own survives, a stale owned port is removed, MACs are set,
 * ofport numbers match OVS's, and a stale read is refused by the wait guard.
 */
import test from 'ava';
import { createNetns, Scope, startOvs, uniquePrefix, type OvsInstance } from '../../../src/lab/harness/index.js';
import { OvsdbClient, TransactError } from '../../../src/ovs/ovsdb/rpc.js';
import { ensureBridge, ensurePorts, watchBridge } from '../../../src/ovs/ovsdb/bridge.js';
import { observeSwitch, DB } from '../../../src/ovs/ovsdb/state.js';
import { planPorts } from '../../../src/ovs/ovsdb/plan.js';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl'));
const serial = skip ? test.serial.skip : test.serial;

let scope: Scope;
let ovs: OvsInstance;
let client: OvsdbClient;
const BR = 'prbr0';
const desiredBridge = { name: BR, datapath_type: 'netdev', fail_mode: 'secure' as const, protocols: ['OpenFlow13', 'OpenFlow14'] };
const vs = async (...a: string[]): Promise<string> => (await ovs.vsctl(a)).trim();

test.before(async () => {
  if (skip) return;
  scope = new Scope(uniquePrefix('pro'));
  const ns = `${scope.prefix}n`;
  await createNetns(scope, ns);
  ovs = await startOvs(scope, { ns });
  client = await OvsdbClient.connect(ovs.dbEndpoint);
  scope.defer('ovsdb client', () => client.close());
});
test.after.always(async () => {
  await scope?.close();
});

serial('ensureBridge creates the bridge as asked, and a second run changes nothing', async (t) => {
  const r1 = await ensureBridge(client, desiredBridge);
  t.true(r1.changed);
  t.is(await vs('get', 'Bridge', BR, 'datapath_type'), 'netdev');
  t.is(await vs('get', 'Bridge', BR, 'fail_mode'), 'secure');
  t.is(await vs('get', 'Bridge', BR, 'protocols'), '[OpenFlow13, OpenFlow14]');
  const cfg = await vs('get', 'Open_vSwitch', '.', 'next_cfg');
  const mut = client.stats.mutatingTransacts;
  const r2 = await ensureBridge(client, desiredBridge);
  t.false(r2.changed);
  t.deepEqual(r2.changes, []);
  t.is(client.stats.mutatingTransacts, mut, 'no transaction with changes');
  t.is(await vs('get', 'Open_vSwitch', '.', 'next_cfg'), cfg);
});

serial('ensurePorts adds, sets MACs, removes stale owned ports, never touches foreign ones; idempotent', async (t) => {
  // A port someone else made, and a leftover privroute port from an earlier config.
  await vs('add-port', BR, 'admin0', '--', 'set', 'Interface', 'admin0', 'type=internal');
  await vs('add-port', BR, 'old_102', '--', 'set', 'Interface', 'old_102', 'type=internal', '--', 'set', 'Port', 'old_102', 'external_ids:privroute-owner=privroute');
  const desired = [
    { name: 'internal_100', type: 'internal' as const, mac: '02:00:00:00:01:00' },
    { name: 'internal_101', type: 'internal' as const, mac: '02:00:00:00:01:01' },
    { name: 'warp0', type: 'internal' as const },
    { name: 'admin0', type: 'internal' as const, mac: '02:00:00:00:0a:0a' },
  ];
  const adminMac = await vs('get', 'Interface', 'admin0', 'mac_in_use');
  const r = await ensurePorts(client, BR, desired);
  t.true(r.changed);
  t.deepEqual(r.foreign, ['admin0']);
  const ports = (await vs('list-ports', BR)).split('\n').sort();
  t.deepEqual(ports, ['admin0', 'internal_100', 'internal_101', 'warp0']);
  t.is(await vs('get', 'Interface', 'internal_100', 'mac_in_use'), '"02:00:00:00:01:00"');
  t.is(await vs('get', 'Interface', 'internal_101', 'mac_in_use'), '"02:00:00:00:01:01"');
  t.is(await vs('get', 'Interface', 'admin0', 'mac_in_use'), adminMac, 'foreign port MAC untouched');
  t.is(await vs('get', 'Port', 'admin0', 'external_ids'), '{}');
  t.is(await vs('get', 'Port', 'warp0', 'external_ids'), '{privroute-owner=privroute}');
  for (const name of ['internal_100', 'internal_101', 'warp0', 'admin0']) {
    t.is(r.ofports.get(name), Number(await vs('get', 'Interface', name, 'ofport')), `ofport of ${name}`);
  }
  t.is(r.ofports.get(BR), 0xfffffffe, 'bridge local port as OFPP_LOCAL');

  const cfg = await vs('get', 'Open_vSwitch', '.', 'next_cfg');
  const mut = client.stats.mutatingTransacts;
  const again = await ensurePorts(client, BR, desired);
  t.false(again.changed);
  t.is(client.stats.mutatingTransacts, mut, 'second run: no transaction with changes');
  t.is(await vs('get', 'Open_vSwitch', '.', 'next_cfg'), cfg);
  t.deepEqual([...again.ofports].sort(), [...r.ofports].sort());
});

serial('a MAC change on an owned port is applied', async (t) => {
  const r = await ensurePorts(client, BR, [
    { name: 'internal_100', type: 'internal', mac: '02:00:00:00:01:99' },
    { name: 'internal_101', type: 'internal', mac: '02:00:00:00:01:01' },
    { name: 'warp0', type: 'internal' },
  ]);
  t.deepEqual(r.changes, ['set mac of internal_100 02:00:00:00:01:00 -> 02:00:00:00:01:99']);
  t.is(await vs('get', 'Interface', 'internal_100', 'mac_in_use'), '"02:00:00:00:01:99"');
});

serial('a transaction planned from a stale read is refused whole by its wait guard; ensurePorts re-reads and succeeds', async (t) => {
  const stale = await observeSwitch(client);
  const plan = planPorts(BR, [{ name: 'internal_100', type: 'internal', mac: '02:00:00:00:01:99' }, { name: 'internal_101', type: 'internal', mac: '02:00:00:00:01:01' }, { name: 'warp0', type: 'internal' }, { name: 'internal_105', type: 'internal' }], stale);
  t.deepEqual(plan.changes, ['add port internal_105']);
  await vs('add-port', BR, 'racer0', '--', 'set', 'Interface', 'racer0', 'type=internal'); // concurrent writer
  const e = await t.throwsAsync(client.transact(DB, plan.ops));
  t.true(e instanceof TransactError && e.isWaitFailure, String(e));
  t.false((await vs('list-ports', BR)).split('\n').includes('internal_105'), 'nothing applied');
  const r = await ensurePorts(client, BR, [{ name: 'internal_100', type: 'internal', mac: '02:00:00:00:01:99' }, { name: 'internal_101', type: 'internal', mac: '02:00:00:00:01:01' }, { name: 'warp0', type: 'internal' }, { name: 'internal_105', type: 'internal' }]);
  t.true(r.changed);
  const ports = (await vs('list-ports', BR)).split('\n');
  t.true(ports.includes('internal_105') && ports.includes('racer0') && ports.includes('admin0'));
});

serial('get_schema, echo and a bridge watch (monitor) see the real server and changes made by others', async (t) => {
  const schema = await client.getSchema('Open_vSwitch');
  t.is(schema.name, 'Open_vSwitch');
  t.truthy(schema.tables.Interface?.columns.mac_in_use);
  t.deepEqual(await client.echo(['x', 1]), ['x', 1]);
  const seen: string[][] = [];
  const stop = await watchBridge(client, BR, (ports) => seen.push((ports ?? []).map((p) => p.name)));
  t.teardown(stop);
  await vs('add-port', BR, 'watch0', '--', 'set', 'Interface', 'watch0', 'type=internal');
  for (let i = 0; i < 500 && !seen.some((names) => names.includes('watch0')); i++) await new Promise((r) => setTimeout(r, 10));
  t.true(seen.some((names) => names.includes('watch0')), JSON.stringify(seen));
});
