/**
 * Removing the chain bridge (uninstall, `privroute teardown`), planned purely from the
 * observed switch and the names of the ports privroute wants:
 *   - the bridge carries only privroute's ports (see bridge-guard.ts: marked, wanted by
 *     name, the access port, its local port): the whole bridge goes, and its ports and
 *     flows with it (one transaction dropping Open_vSwitch.bridges' reference: Bridge,
 *     Port and Interface rows are garbage-collected, ovs-vswitchd deletes the datapath
 *     ports and the OpenFlow tables);
 *   - it carries a port that is not privroute's (someone put a guest on it after init):
 *     the bridge stays, only privroute's ports are removed, and the caller deletes
 *     privroute's flows by cookie ({@link BridgeRemoval.keepsBridge}).
 * Other bridges are never read into the plan. Empty plan when the bridge is gone.
 */
import { set, uuid, type Operation } from '../ovs/ovsdb/datum.js';
import { bumpCfg } from '../ovs/ovsdb/plan.js';
import { bridgePorts, OWNER_KEY, type ObservedSwitch } from '../ovs/ovsdb/state.js';
import { foreignPorts } from './bridge-guard.js';

/** One guarded OVSDB transaction and what it does. */
export interface BridgeRemoval {
  ops: Operation[];
  changes: string[];
  /** True when the bridge stays (it carries foreign ports): privroute's flows must be deleted separately. */
  keepsBridge: boolean;
}

/** Pure: the transaction removing privroute's bridge (or only its ports, see the module comment). */
export function planBridgeRemoval(s: ObservedSwitch, bridge: string, wanted: readonly string[], accessPort: string | null): BridgeRemoval {
  const b = s.bridges.get(bridge);
  const views = bridgePorts(s, bridge);
  if (!b || !views) return { ops: [], changes: [], keepsBridge: false };
  const seen = views.map((v) => ({ name: v.name, owned: v.external_ids[OWNER_KEY] !== undefined }));
  const foreign = foreignPorts(bridge, seen, wanted, accessPort);
  if (foreign.length === 0) {
    const root: [string, '==', ReturnType<typeof uuid>][] = [['_uuid', '==', uuid(s.rootUuid)]];
    return {
      ops: [
        // Guard: the bridge list is what we read (a concurrent writer makes the server refuse).
        { op: 'wait', table: 'Open_vSwitch', where: root, columns: ['bridges'], until: '==', rows: [{ bridges: set(s.bridgeUuids.map(uuid)) }], timeout: 0 },
        { op: 'mutate', table: 'Open_vSwitch', where: root, mutations: [['bridges', 'delete', set([uuid(b.uuid)])]] },
        ...bumpCfg(s),
      ],
      changes: [`remove bridge ${bridge} with its ports (${views.filter((v) => v.name !== bridge).map((v) => v.name).sort().join(', ') || 'none'}) and flows`],
      keepsBridge: false,
    };
  }
  const ours = views.filter((v) => v.name !== bridge && !foreign.includes(v.name));
  if (ours.length === 0) return { ops: [], changes: [], keepsBridge: true };
  const where: [string, '==', ReturnType<typeof uuid>][] = [['_uuid', '==', uuid(b.uuid)]];
  return {
    ops: [
      { op: 'wait', table: 'Bridge', where, columns: ['ports'], until: '==', rows: [{ ports: set(b.ports.map(uuid)) }], timeout: 0 },
      { op: 'mutate', table: 'Bridge', where, mutations: [['ports', 'delete', set(ours.map((v) => uuid(v.portUuid)))]] },
      ...bumpCfg(s),
    ],
    changes: [`remove ports ${ours.map((v) => v.name).sort().join(', ')} from ${bridge} (kept: it carries ${foreign.join(', ')}, not privroute's)`],
    keepsBridge: true,
  };
}
