import test from 'ava';
import { planBridgeRemoval } from '../../../src/proxmox/bridge-removal.js';
import type { ObservedSwitch } from '../../../src/ovs/ovsdb/state.js';

const MARK = { 'privroute-owner': 'privroute' };

/** A switch with bridges ovsbr0 (ports `ports`: name -> external_ids) and a foreign fbr0. */
function sw(ports: Record<string, Record<string, string>>): ObservedSwitch {
  const names = ['ovsbr0', ...Object.keys(ports)];
  return {
    rootUuid: 'root', nextCfg: 7, curCfg: 7, bridgeUuids: ['b', 'f'],
    bridges: new Map([
      ['ovsbr0', { uuid: 'b', name: 'ovsbr0', datapath_type: 'netdev', fail_mode: 'secure', protocols: [], ports: names.map((n) => `p-${n}`), external_ids: MARK }],
      ['fbr0', { uuid: 'f', name: 'fbr0', datapath_type: 'netdev', protocols: [], ports: ['p-fbr0'], external_ids: {} }],
    ]),
    ports: new Map([...names, 'fbr0'].map((n) => [`p-${n}`, { uuid: `p-${n}`, name: n, interfaces: [`i-${n}`], external_ids: ports[n] ?? {} }])),
    interfaces: new Map([...names, 'fbr0'].map((n) => [`i-${n}`, { uuid: `i-${n}`, name: n, type: 'internal', external_ids: ports[n] ?? {} }])),
  };
}

test('a bridge of privroute\'s own goes whole (guarded by the bridge list; the other bridge is not touched)', (t) => {
  // internal_101's mark was cleared (ifreload -a): still privroute's by name.
  const p = planBridgeRemoval(sw({ internal_100: MARK, internal_101: {}, warp0: MARK }), 'ovsbr0', ['internal_100', 'internal_101', 'warp0'], null);
  t.false(p.keepsBridge);
  t.deepEqual(p.changes, ['remove bridge ovsbr0 with its ports (internal_100, internal_101, warp0) and flows']);
  t.deepEqual(p.ops.slice(0, 2), [
    { op: 'wait', table: 'Open_vSwitch', where: [['_uuid', '==', ['uuid', 'root']]], columns: ['bridges'], until: '==', rows: [{ bridges: ['set', [['uuid', 'b'], ['uuid', 'f']]] }], timeout: 0 },
    { op: 'mutate', table: 'Open_vSwitch', where: [['_uuid', '==', ['uuid', 'root']]], mutations: [['bridges', 'delete', ['set', [['uuid', 'b']]]]] },
  ]);
});

test('a bridge carrying a guest stays: only privroute\'s ports go, flows are left to the caller', (t) => {
  const p = planBridgeRemoval(sw({ internal_100: MARK, tap105i0: {} }), 'ovsbr0', ['internal_100'], null);
  t.true(p.keepsBridge);
  t.deepEqual(p.changes, ['remove ports internal_100 from ovsbr0 (kept: it carries tap105i0, not privroute\'s)']);
  t.deepEqual(p.ops[1], { op: 'mutate', table: 'Bridge', where: [['_uuid', '==', ['uuid', 'b']]], mutations: [['ports', 'delete', ['set', [['uuid', 'p-internal_100']]]]] });
});

test('nothing to do: no such bridge; a kept bridge without privroute ports', (t) => {
  t.deepEqual(planBridgeRemoval(sw({}), 'vmbr9', [], null), { ops: [], changes: [], keepsBridge: false });
  t.deepEqual(planBridgeRemoval(sw({ tap105i0: {} }), 'ovsbr0', ['internal_100'], null), { ops: [], changes: [], keepsBridge: true });
});
