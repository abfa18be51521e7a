/**
 * Pure reconcile for the bridge and its internal ports: desired + observed ->
 * one OVSDB transaction (list of operations), or no operations when nothing
 * differs. Every transaction is guarded by `wait` ops on exactly the columns it
 * read (optimistic concurrency: if someone changed them meanwhile, the server
 * rejects the whole transaction and the caller re-reads and retries), and ends by
 * bumping Open_vSwitch.next_cfg so the caller can wait for ovs-vswitchd (cur_cfg).
 *
 * Ownership: rows privroute creates carry external_ids:privroute-owner=<owner>.
 * Only owned ports are ever modified or removed; a desired port that exists but is
 * not owned is reported in `foreign` and left untouched.
 */
import { InputError, type InputProblem } from '../../core/errors.js';
import { map, namedUuid, set, uuid, type Operation, type Row } from './datum.js';
import { bridgePorts, OWNER_KEY, type ObservedSwitch } from './state.js';

export interface DesiredBridge {
  name: string;
  /** 'netdev' (userspace) or 'system' (kernel) or ''. */
  datapath_type: string;
  fail_mode: 'secure' | 'standalone';
  /** Must include 'OpenFlow13'; existing extra protocols are kept. */
  protocols: string[];
}

export interface DesiredPort {
  name: string;
  type: 'internal';
  /** Requested MAC (Interface.mac), "aa:bb:cc:dd:ee:ff". Absent = leave as is / OVS picks. */
  mac?: string;
}

export interface Plan {
  /** Operations to send in one transaction; empty = nothing to change. */
  ops: Operation[];
  /** Human-readable list of the changes, e.g. `add port internal_100`. */
  changes: string[];
  /** Desired ports that exist but are not owned by privroute (left alone). */
  foreign: string[];
}

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const PROTOCOLS = ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'];

/** Validate desired bridge/ports; InputError listing every problem. */
export function validate(bridge: string, ports: DesiredPort[] = [], protocols?: string[]): void {
  const problems: InputProblem[] = [];
  if (!IFNAME.test(bridge)) problems.push({ path: 'bridge', value: bridge, expected: 'an interface name of 1-15 characters [A-Za-z0-9_.:-]' });
  if (protocols) {
    if (!protocols.includes('OpenFlow13')) problems.push({ path: 'bridge.protocols', value: protocols, expected: "must include 'OpenFlow13' (privroute speaks OpenFlow 1.3)" });
    for (const p of protocols) if (!PROTOCOLS.includes(p)) problems.push({ path: 'bridge.protocols', value: p, expected: `one of ${PROTOCOLS.join(', ')}` });
  }
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    if (!IFNAME.test(p.name)) problems.push({ path: `ports[${i}].name`, value: p.name, expected: 'an interface name of 1-15 characters [A-Za-z0-9_.:-]' });
    if (seen.has(p.name)) problems.push({ path: `ports[${i}].name`, value: p.name, expected: 'unique port names' });
    seen.add(p.name);
    if (p.name === bridge) problems.push({ path: `ports[${i}].name`, value: p.name, expected: 'a name other than the bridge (its local port)' });
    if (p.type !== 'internal') problems.push({ path: `ports[${i}].type`, value: p.type, expected: "'internal'" });
    if (p.mac !== undefined && !MAC.test(p.mac)) problems.push({ path: `ports[${i}].mac`, value: p.mac, expected: 'a lowercase MAC aa:bb:cc:dd:ee:ff' });
  });
  if (problems.length) throw new InputError(problems);
}

/** Ops ending a transaction: bump Open_vSwitch.next_cfg and read it back (the caller waits for cur_cfg to reach it). */
export function bumpCfg(s: ObservedSwitch): Operation[] {
  const where: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(s.rootUuid)]];
  return [
    { op: 'mutate', table: 'Open_vSwitch', where, mutations: [['next_cfg', '+=', 1]] },
    { op: 'select', table: 'Open_vSwitch', where, columns: ['next_cfg'] },
  ];
}

/** Plan creating or correcting the bridge. */
export function planBridge(d: DesiredBridge, s: ObservedSwitch, owner = 'privroute'): Plan {
  validate(d.name, [], d.protocols);
  const rootWhere: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(s.rootUuid)]];
  const b = s.bridges.get(d.name);
  if (!b) {
    const ops: Operation[] = [
      { op: 'wait', table: 'Open_vSwitch', where: rootWhere, columns: ['bridges'], until: '==', rows: [{ bridges: set(s.bridgeUuids.map(uuid)) }], timeout: 0 },
      { op: 'insert', table: 'Interface', 'uuid-name': 'brif', row: { name: d.name, type: 'internal' } },
      { op: 'insert', table: 'Port', 'uuid-name': 'brport', row: { name: d.name, interfaces: namedUuid('brif') } },
      {
        op: 'insert', table: 'Bridge', 'uuid-name': 'br',
        row: { name: d.name, ports: namedUuid('brport'), protocols: set(d.protocols), datapath_type: d.datapath_type, fail_mode: d.fail_mode, external_ids: map({ [OWNER_KEY]: owner }) },
      },
      { op: 'mutate', table: 'Open_vSwitch', where: rootWhere, mutations: [['bridges', 'insert', set([namedUuid('br')])]] },
      ...bumpCfg(s),
    ];
    return { ops, changes: [`add bridge ${d.name}`], foreign: [] };
  }
  const row: Row = {};
  const changes: string[] = [];
  if (b.datapath_type !== d.datapath_type) (row.datapath_type = d.datapath_type), changes.push(`bridge ${d.name} datapath_type ${b.datapath_type || '""'} -> ${d.datapath_type}`);
  if (b.fail_mode !== d.fail_mode) (row.fail_mode = d.fail_mode), changes.push(`bridge ${d.name} fail_mode ${b.fail_mode ?? '[]'} -> ${d.fail_mode}`);
  const missing = d.protocols.filter((p) => !b.protocols.includes(p));
  if (missing.length) changes.push(`bridge ${d.name} protocols += ${missing.join(',')}`);
  if (!changes.length) return { ops: [], changes: [], foreign: [] };
  const where: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(b.uuid)]];
  const ops: Operation[] = [
    {
      op: 'wait', table: 'Bridge', where, columns: ['datapath_type', 'fail_mode', 'protocols'], until: '==', timeout: 0,
      rows: [{ datapath_type: b.datapath_type, fail_mode: set(b.fail_mode ? [b.fail_mode] : []), protocols: set(b.protocols) }],
    },
  ];
  if (Object.keys(row).length) ops.push({ op: 'update', table: 'Bridge', where, row });
  if (missing.length) ops.push({ op: 'mutate', table: 'Bridge', where, mutations: [['protocols', 'insert', set(missing)]] });
  ops.push(...bumpCfg(s));
  return { ops, changes, foreign: [] };
}

/** Plan adding missing internal ports, setting MACs, removing stale owned ports on `bridge`. */
export function planPorts(bridge: string, desired: DesiredPort[], s: ObservedSwitch, owner = 'privroute'): Plan {
  validate(bridge, desired);
  const b = s.bridges.get(bridge);
  const views = bridgePorts(s, bridge);
  if (!b || !views) throw new InputError({ path: 'bridge', value: bridge, expected: 'an existing bridge (call ensureBridge first)' });
  const onBridge = new Map(views.map((v) => [v.name, v]));
  const elsewhere = new Set([...s.ports.values()].filter((p) => !b.ports.includes(p.uuid)).map((p) => p.name));
  const ops: Operation[] = [];
  const changes: string[] = [];
  const foreign: string[] = [];
  const bridgeWhere: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(b.uuid)]];
  const wanted = new Set(desired.map((p) => p.name));
  const add: Operation[] = [];
  const addRefs: ['named-uuid', string][] = [];
  const conflicts: InputProblem[] = [];
  desired.forEach((p, i) => {
    const have = onBridge.get(p.name);
    if (!have) {
      if (elsewhere.has(p.name)) {
        conflicts.push({ path: `ports[${i}].name`, value: p.name, expected: `a name not already used by a port on another bridge` });
        return;
      }
      const row: Row = { name: p.name, type: 'internal', external_ids: map({ [OWNER_KEY]: owner }) };
      if (p.mac) row.mac = p.mac;
      add.push({ op: 'insert', table: 'Interface', 'uuid-name': `if${i}`, row });
      add.push({ op: 'insert', table: 'Port', 'uuid-name': `p${i}`, row: { name: p.name, interfaces: namedUuid(`if${i}`), external_ids: map({ [OWNER_KEY]: owner }) } });
      addRefs.push(namedUuid(`p${i}`));
      changes.push(`add port ${p.name}${p.mac ? ` mac ${p.mac}` : ''}`);
      return;
    }
    if (have.external_ids[OWNER_KEY] !== owner) {
      foreign.push(p.name);
      return;
    }
    if (p.mac && have.mac !== p.mac && have.interfaceUuid) {
      const where: [string, '==', ['uuid', string]][] = [['_uuid', '==', uuid(have.interfaceUuid)]];
      ops.push({ op: 'wait', table: 'Interface', where, columns: ['mac'], until: '==', rows: [{ mac: set(have.mac ? [have.mac] : []) }], timeout: 0 });
      ops.push({ op: 'update', table: 'Interface', where, row: { mac: p.mac } });
      changes.push(`set mac of ${p.name} ${have.mac ?? '(none)'} -> ${p.mac}`);
    }
  });
  if (conflicts.length) throw new InputError(conflicts);
  const stale = views.filter((v) => v.name !== bridge && v.external_ids[OWNER_KEY] === owner && !wanted.has(v.name));
  for (const v of stale) changes.push(`remove stale port ${v.name}`);
  if (!changes.length) return { ops: [], changes: [], foreign };
  const mutations: ['ports', 'insert' | 'delete', ReturnType<typeof set>][] = [];
  if (addRefs.length) mutations.push(['ports', 'insert', set(addRefs)]);
  // Port/Interface rows are not root rows: removing the reference garbage-collects them.
  if (stale.length) mutations.push(['ports', 'delete', set(stale.map((v) => uuid(v.portUuid)))]);
  return {
    ops: [
      { op: 'wait', table: 'Bridge', where: bridgeWhere, columns: ['ports'], until: '==', rows: [{ ports: set(b.ports.map(uuid)) }], timeout: 0 },
      ...ops,
      ...add,
      ...(mutations.length ? [{ op: 'mutate' as const, table: 'Bridge', where: bridgeWhere, mutations }] : []),
      ...bumpCfg(s),
    ],
    changes,
    foreign,
  };
}
