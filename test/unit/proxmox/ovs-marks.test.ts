import test from 'ava';
import { lostMarks, remarkOps } from '../../../src/proxmox/ovs-marks.js';
import type { ObservedSwitch } from '../../../src/ovs/ovsdb/state.js';

const MARK = { 'privroute-owner': 'privroute' };

/** A switch with bridge ovsbr0 and internal ports `ports` (name -> external_ids of port and interface). */
function sw(bridgeIds: Record<string, string>, ports: Record<string, Record<string, string>>): ObservedSwitch {
  const names = ['ovsbr0', ...Object.keys(ports)];
  return {
    rootUuid: 'root', nextCfg: 1, curCfg: 1, bridgeUuids: ['b'],
    bridges: new Map([['ovsbr0', { uuid: 'b', name: 'ovsbr0', datapath_type: 'netdev', fail_mode: 'secure', protocols: [], ports: names.map((n) => `p-${n}`), external_ids: bridgeIds }]]),
    ports: new Map(names.map((n) => [`p-${n}`, { uuid: `p-${n}`, name: n, interfaces: [`i-${n}`], external_ids: ports[n] ?? {} }])),
    interfaces: new Map(names.map((n) => [`i-${n}`, { uuid: `i-${n}`, name: n, type: 'internal', external_ids: ports[n] ?? {} }])),
  };
}

test('lostMarks: after a clear, the bridge and each wanted port (port and interface rows) are re-marked', (t) => {
  const lost = lostMarks(sw({}, { internal_100: {}, warp0: MARK }), 'ovsbr0', ['internal_100', 'warp0'], null);
  t.deepEqual(lost, [
    { table: 'Bridge', uuid: 'b', name: 'ovsbr0' },
    { table: 'Port', uuid: 'p-internal_100', name: 'internal_100' },
    { table: 'Interface', uuid: 'i-internal_100', name: 'internal_100' },
  ]);
  t.deepEqual(remarkOps(lost)[0], { op: 'mutate', table: 'Bridge', where: [['_uuid', '==', ['uuid', 'b']]], mutations: [['external_ids', 'insert', ['map', [['privroute-owner', 'privroute']]]]] });
});

test('lostMarks: nothing when all are marked, when the bridge carries a guest, or for another owner\'s port', (t) => {
  t.deepEqual(lostMarks(sw(MARK, { internal_100: MARK }), 'ovsbr0', ['internal_100'], null), []);
  t.deepEqual(lostMarks(sw({}, { internal_100: {}, tap100i0: {} }), 'ovsbr0', ['internal_100'], null), [], 'a shared bridge is never claimed');
  t.deepEqual(lostMarks(sw(MARK, { internal_100: { 'privroute-owner': 'someone' } }), 'ovsbr0', ['internal_100'], null), []);
  t.deepEqual(lostMarks(sw({}, {}), 'vmbr9', ['internal_100'], null), [], 'no bridge');
});
