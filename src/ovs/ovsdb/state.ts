/**
 * Observed Open_vSwitch state, typed: the root row, bridges, ports and interfaces
 * (only the columns privroute reads), fetched in one read-only transaction so the
 * snapshot is consistent. Pure parsing is separate from I/O so reconcile is testable.
 */
import { mapValues, optional, setValues, uuidOf, uuidSet, type Operation } from './datum.js';
import type { OpResult, OvsdbClient } from './rpc.js';

export const DB = 'Open_vSwitch';
/** external_ids key marking rows privroute created and may delete. */
export const OWNER_KEY = 'privroute-owner';

export interface ObservedInterface {
  uuid: string;
  name: string;
  type: string;
  /** OpenFlow port number; undefined until vswitchd assigned one, -1 if it failed. */
  ofport?: number;
  mac_in_use?: string;
  /** Requested MAC (Interface.mac column). */
  mac?: string;
  external_ids: Record<string, string>;
}
export interface ObservedPort {
  uuid: string;
  name: string;
  interfaces: string[];
  external_ids: Record<string, string>;
}
export interface ObservedBridge {
  uuid: string;
  name: string;
  datapath_type: string;
  fail_mode?: string;
  protocols: string[];
  ports: string[];
  external_ids: Record<string, string>;
}
export interface ObservedSwitch {
  rootUuid: string;
  nextCfg: number;
  curCfg: number;
  bridgeUuids: string[];
  bridges: Map<string, ObservedBridge>; // by name
  ports: Map<string, ObservedPort>; // by uuid
  interfaces: Map<string, ObservedInterface>; // by uuid
}

const strMap = (d: unknown): Record<string, string> => Object.fromEntries(Object.entries(mapValues(d)).map(([k, v]) => [k, String(v)]));

/** The read-only transaction used by {@link observeSwitch}. */
export function observeOps(): Operation[] {
  return [
    { op: 'select', table: 'Open_vSwitch', where: [], columns: ['_uuid', 'next_cfg', 'cur_cfg', 'bridges'] },
    { op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'name', 'datapath_type', 'fail_mode', 'protocols', 'ports', 'external_ids'] },
    { op: 'select', table: 'Port', where: [], columns: ['_uuid', 'name', 'interfaces', 'external_ids'] },
    { op: 'select', table: 'Interface', where: [], columns: ['_uuid', 'name', 'type', 'ofport', 'mac_in_use', 'mac', 'external_ids'] },
  ];
}

/** Parse the results of {@link observeOps}. Pure. */
export function parseObservation(results: OpResult[]): ObservedSwitch {
  const root = results[0]?.rows?.[0];
  if (!root) throw new Error('Open_vSwitch table has no row (run `ovs-vsctl init` / start ovs-vswitchd once)');
  const bridges = new Map<string, ObservedBridge>();
  for (const r of results[1]!.rows ?? []) {
    const b: ObservedBridge = {
      uuid: uuidOf(r._uuid),
      name: String(r.name),
      datapath_type: String(r.datapath_type ?? ''),
      protocols: setValues(r.protocols).map(String),
      ports: uuidSet(r.ports),
      external_ids: strMap(r.external_ids),
    };
    const fm = optional<string>(r.fail_mode);
    if (fm !== undefined) b.fail_mode = fm;
    bridges.set(b.name, b);
  }
  const ports = new Map<string, ObservedPort>();
  for (const r of results[2]!.rows ?? []) {
    const p: ObservedPort = { uuid: uuidOf(r._uuid), name: String(r.name), interfaces: uuidSet(r.interfaces), external_ids: strMap(r.external_ids) };
    ports.set(p.uuid, p);
  }
  const interfaces = new Map<string, ObservedInterface>();
  for (const r of results[3]!.rows ?? []) {
    const i: ObservedInterface = { uuid: uuidOf(r._uuid), name: String(r.name), type: String(r.type ?? ''), external_ids: strMap(r.external_ids) };
    const ofport = optional<number>(r.ofport);
    if (ofport !== undefined) i.ofport = ofport;
    const miu = optional<string>(r.mac_in_use);
    if (miu !== undefined) i.mac_in_use = miu;
    const mac = optional<string>(r.mac);
    if (mac !== undefined) i.mac = mac;
    interfaces.set(i.uuid, i);
  }
  return {
    rootUuid: uuidOf(root._uuid),
    nextCfg: Number(root.next_cfg),
    curCfg: Number(root.cur_cfg),
    bridgeUuids: uuidSet(root.bridges),
    bridges,
    ports,
    interfaces,
  };
}

/** Read the current state in one transaction (no changes). */
export async function observeSwitch(client: OvsdbClient): Promise<ObservedSwitch> {
  return parseObservation(await client.transact(DB, observeOps()));
}

/** A bridge's port as privroute sees it: port row + its (first) interface. */
export interface BridgePortView extends Omit<ObservedInterface, 'uuid'> {
  portUuid: string;
  interfaceUuid?: string;
}

/** Ports of bridge `name` with their interface columns, or undefined if the bridge is missing. */
export function bridgePorts(s: ObservedSwitch, name: string): BridgePortView[] | undefined {
  const b = s.bridges.get(name);
  if (!b) return undefined;
  return b.ports.flatMap((pu) => {
    const p = s.ports.get(pu);
    if (!p) return [];
    const i = p.interfaces.map((iu) => s.interfaces.get(iu)).find((x) => x !== undefined);
    const v: BridgePortView = { name: p.name, type: i?.type ?? '', external_ids: p.external_ids, portUuid: p.uuid };
    if (i) {
      v.interfaceUuid = i.uuid;
      if (i.ofport !== undefined) v.ofport = i.ofport;
      if (i.mac_in_use !== undefined) v.mac_in_use = i.mac_in_use;
      if (i.mac !== undefined) v.mac = i.mac;
    }
    return [v];
  });
}
