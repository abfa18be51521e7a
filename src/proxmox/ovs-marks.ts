/**
 * Restoring privroute's ownership marks after an `ifreload -a`. Upstream ifupdown2 clears
 * `external_ids` on the bridges it declares (shared/reference/proxmox.md), so the chain
 * bridge and its ports lose `privroute-owner`: the chain keeps working (flows follow port
 * names), but privroute would treat its own ports as someone else's (no MAC pinning, no
 * stale-port removal). The `ovs-marks` component puts the marks back, and `status` shows
 * them missing until then.
 *
 * Re-marking is safe only on a bridge that is privroute's own: the bridge guard
 * (bridge-guard.ts) has already refused a bridge carrying anything but privroute's ports, so
 * here an unmarked bridge or an unmarked internal port with a wanted name is privroute's.
 * A port marked by another owner is never touched.
 */
import type { Change, Component } from '../core/runner.js';
import { withOvsdb, type OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, DB, observeSwitch, OWNER_KEY, type ObservedSwitch } from '../ovs/ovsdb/state.js';
import { map, uuid, type Operation } from '../ovs/ovsdb/datum.js';
import { foreignPorts } from './bridge-guard.js';

/** The owner value privroute writes (the ovs component's default owner). */
export const OWNER = 'privroute';

/** One row whose mark is missing. */
export interface LostMark {
  table: 'Bridge' | 'Port' | 'Interface';
  uuid: string;
  name: string;
}

/**
 * Pure: the rows of `bridge` that lost privroute's mark: the bridge itself, and for each wanted
 * internal port its Port and Interface rows. Empty when the bridge is missing or is not
 * privroute's own (it carries foreign ports: the guard refuses it, nothing is claimed).
 */
export function lostMarks(s: ObservedSwitch, bridge: string, wanted: readonly string[], accessPort: string | null): LostMark[] {
  const b = s.bridges.get(bridge);
  const views = bridgePorts(s, bridge);
  if (!b || !views) return [];
  const seen = views.map((v) => ({ name: v.name, owned: v.external_ids[OWNER_KEY] !== undefined }));
  if (foreignPorts(bridge, seen, wanted, accessPort).length) return [];
  const out: LostMark[] = [];
  if (b.external_ids[OWNER_KEY] === undefined) out.push({ table: 'Bridge', uuid: b.uuid, name: bridge });
  for (const v of views) {
    if (!wanted.includes(v.name) || v.type !== 'internal' || v.external_ids[OWNER_KEY] !== undefined) continue;
    out.push({ table: 'Port', uuid: v.portUuid, name: v.name });
    const i = v.interfaceUuid ? s.interfaces.get(v.interfaceUuid) : undefined;
    if (i && i.external_ids[OWNER_KEY] === undefined) out.push({ table: 'Interface', uuid: i.uuid, name: v.name });
  }
  return out;
}

/** Pure: the transaction that puts the marks back (a map insert adds only a missing key). */
export function remarkOps(lost: readonly LostMark[]): Operation[] {
  return lost.map((l) => ({ op: 'mutate', table: l.table, where: [['_uuid', '==', uuid(l.uuid)]], mutations: [['external_ids', 'insert', map({ [OWNER_KEY]: OWNER })]] }));
}

/** The component (after `ovs`): observe OVSDB, plan the lost marks, apply one transaction. */
export function ovsMarksComponent(endpoint: string, bridge: string, wanted: readonly string[], accessPort: string | null): Component<ObservedSwitch, Change & { lost: LostMark }> {
  const withClient = <T>(fn: (c: OvsdbClient) => Promise<T>): Promise<T> => withOvsdb(endpoint, fn);
  return {
    name: 'ovs-marks',
    dependsOn: ['ovs'],
    observe: () => withClient((c) => observeSwitch(c)),
    plan: (s) => lostMarks(s, bridge, wanted, accessPort).map((lost) => ({ lost, describe: `restore privroute's mark on ${lost.table.toLowerCase()} ${lost.name} (cleared, e.g. by ifreload -a)` })),
    apply: (changes) => withClient(async (c) => void (await c.transact(DB, remarkOps(changes.map((x) => x.lost))))),
  };
}
