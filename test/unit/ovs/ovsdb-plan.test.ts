/** Pure bridge/port reconcile: desired + observed -> guarded ops; ownership respected. */
import test from 'ava';
import { planBridge, planPorts } from '../../../src/ovs/ovsdb/plan.js';
import type { ObservedSwitch } from '../../../src/ovs/ovsdb/state.js';
import type { Operation } from '../../../src/ovs/ovsdb/datum.js';

const own = { 'privroute-owner': 'privroute' };
function observed(): ObservedSwitch {
  const ports = new Map([
    ['pl', { uuid: 'pl', name: 'br0', interfaces: ['il'], external_ids: {} }],
    ['p1', { uuid: 'p1', name: 'internal_100', interfaces: ['i1'], external_ids: own }],
    ['p2', { uuid: 'p2', name: 'stale_7', interfaces: ['i2'], external_ids: own }],
    ['p3', { uuid: 'p3', name: 'admin0', interfaces: ['i3'], external_ids: {} }],
    ['p4', { uuid: 'p4', name: 'other_br_port', interfaces: ['i4'], external_ids: {} }],
  ]);
  const interfaces = new Map([
    ['il', { uuid: 'il', name: 'br0', type: 'internal', ofport: 65534, external_ids: {} }],
    ['i1', { uuid: 'i1', name: 'internal_100', type: 'internal', ofport: 1, mac: '02:00:00:00:00:01', external_ids: own }],
    ['i2', { uuid: 'i2', name: 'stale_7', type: 'internal', ofport: 2, external_ids: own }],
    ['i3', { uuid: 'i3', name: 'admin0', type: 'internal', ofport: 3, external_ids: {} }],
    ['i4', { uuid: 'i4', name: 'other_br_port', type: 'internal', ofport: 1, external_ids: {} }],
  ]);
  return {
    rootUuid: 'root', nextCfg: 5, curCfg: 5, bridgeUuids: ['b0', 'b1'],
    bridges: new Map([
      ['br0', { uuid: 'b0', name: 'br0', datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13'], ports: ['pl', 'p1', 'p2', 'p3'], external_ids: {} }],
      ['br1', { uuid: 'b1', name: 'br1', datapath_type: 'netdev', protocols: [], ports: ['p4'], external_ids: {} }],
    ]),
    ports, interfaces,
  };
}
const opsOf = (ops: Operation[], op: string) => ops.filter((o) => o.op === op);

test('adds missing, removes stale owned, keeps foreign, guarded by wait, bumps next_cfg', (t) => {
  const plan = planPorts('br0', [{ name: 'internal_100', type: 'internal', mac: '02:00:00:00:00:01' }, { name: 'warp0', type: 'internal', mac: '02:00:00:00:00:09' }, { name: 'admin0', type: 'internal', mac: '02:00:00:00:00:aa' }], observed());
  t.deepEqual(plan.changes, ['add port warp0 mac 02:00:00:00:00:09', 'remove stale port stale_7']);
  t.deepEqual(plan.foreign, ['admin0']);
  const [first] = plan.ops;
  t.like(first, { op: 'wait', table: 'Bridge', columns: ['ports'], until: '==' });
  t.deepEqual((first as { rows: unknown[] }).rows, [{ ports: ['set', [['uuid', 'pl'], ['uuid', 'p1'], ['uuid', 'p2'], ['uuid', 'p3']]] }]);
  const inserts = opsOf(plan.ops, 'insert') as { table: string; row: Record<string, unknown> }[];
  t.deepEqual(inserts.map((i) => [i.table, i.row.name]), [['Interface', 'warp0'], ['Port', 'warp0']]);
  t.is(inserts[0]!.row.mac, '02:00:00:00:00:09');
  t.deepEqual(inserts[0]!.row.external_ids, ['map', [['privroute-owner', 'privroute']]]);
  const mut = opsOf(plan.ops, 'mutate') as { table: string; mutations: unknown[] }[];
  t.deepEqual(mut[0]!.mutations, [['ports', 'insert', ['set', [['named-uuid', 'p1']]]], ['ports', 'delete', ['set', [['uuid', 'p2']]]]]);
  t.deepEqual(mut[1]!.mutations, [['next_cfg', '+=', 1]]);
  // admin0 (foreign) is never referenced by any op.
  t.false(JSON.stringify(plan.ops).includes('"i3"'));
  t.false(JSON.stringify(plan.ops.slice(1)).includes('"p3"'));
});

test('no difference -> no operations (idempotent)', (t) => {
  const plan = planPorts('br0', [{ name: 'internal_100', type: 'internal', mac: '02:00:00:00:00:01' }, { name: 'stale_7', type: 'internal' }], observed());
  t.deepEqual(plan.ops, []);
  t.deepEqual(plan.changes, []);
});

test('MAC change is an update on the owned interface guarded by a wait on its mac column', (t) => {
  const plan = planPorts('br0', [{ name: 'internal_100', type: 'internal', mac: '02:00:00:00:00:02' }, { name: 'stale_7', type: 'internal' }], observed());
  t.deepEqual(plan.changes, ['set mac of internal_100 02:00:00:00:00:01 -> 02:00:00:00:00:02']);
  t.like(plan.ops[1], { op: 'wait', table: 'Interface', columns: ['mac'], rows: [{ mac: ['set', ['02:00:00:00:00:01']] }] });
  t.like(plan.ops[2], { op: 'update', table: 'Interface', row: { mac: '02:00:00:00:00:02' } });
});

test('bad input is rejected with every problem before any op', (t) => {
  const e = t.throws(() => planPorts('br0', [{ name: 'a-name-longer-than-15', type: 'internal' }, { name: 'x', type: 'internal', mac: 'zz' }, { name: 'x', type: 'internal' }], observed()));
  t.regex(e!.message, /3 problems/);
  t.regex(e!.message, /ports\[1\]\.mac: got "zz"/);
  const e2 = t.throws(() => planPorts('br0', [{ name: 'other_br_port', type: 'internal' }], observed()));
  t.regex(e2!.message, /another bridge/);
  const e3 = t.throws(() => planPorts('nobr', [], observed()));
  t.regex(e3!.message, /call ensureBridge first/);
});

test('bridge: created with wait on Open_vSwitch.bridges; corrected fields; no-op when equal', (t) => {
  const s = observed();
  const create = planBridge({ name: 'vmbr9', datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13', 'OpenFlow14'] }, s);
  t.like(create.ops[0], { op: 'wait', table: 'Open_vSwitch', columns: ['bridges'], rows: [{ bridges: ['set', [['uuid', 'b0'], ['uuid', 'b1']]] }] });
  t.like(create.ops[3], { op: 'insert', table: 'Bridge', row: { name: 'vmbr9', fail_mode: 'secure', protocols: ['set', ['OpenFlow13', 'OpenFlow14']] } });
  t.deepEqual(planBridge({ name: 'br0', datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13'] }, s).ops, []);
  const fix = planBridge({ name: 'br1', datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13'] }, s);
  t.deepEqual(fix.changes, ['bridge br1 fail_mode [] -> secure', 'bridge br1 protocols += OpenFlow13']);
  t.throws(() => planBridge({ name: 'br0', datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow10'] }, s), { message: /must include 'OpenFlow13'/ });
});
