/**
 * Port reference mapping between the compiler's symbolic ports (`internal_100`,
 * `warp0`, reserved `LOCAL`/`IN_PORT`/...) and OpenFlow port numbers (from OVSDB
 * Interface.ofport). Pure; returns new Flow objects, never mutates the input.
 */
import { InputError } from '../core/errors.js';
import type { Flow, FlowAction, PortRef } from './flow.js';
import { RESERVED_PORT_NAMES } from './openflow/consts.js';

type PortMap<K, V> = ReadonlyMap<K, V> | Readonly<Record<string, V>>;

function lookup<V>(m: PortMap<string | number, V>, k: string | number): V | undefined {
  return m instanceof Map ? m.get(k) : (m as Record<string, V>)[String(k)];
}

function mapFlow(flow: Flow, f: (p: PortRef, where: string) => PortRef): Flow {
  const actions = flow.actions.map((a): FlowAction => {
    if (a.type === 'output') return { ...a, port: f(a.port, 'actions output') };
    if (a.type === 'resubmit' && a.port !== undefined) return { ...a, port: f(a.port, 'actions resubmit') };
    return a;
  });
  const match = flow.match.in_port === undefined ? flow.match : { ...flow.match, in_port: f(flow.match.in_port, 'match in_port') };
  return { ...flow, match, actions };
}

/**
 * Replace port names with OpenFlow port numbers. Reserved names (LOCAL, IN_PORT,
 * CONTROLLER, NORMAL, FLOOD, ALL, TABLE) map to their OFPP_ numbers; numbers pass
 * through. Throws InputError naming the flow and the unknown port (e.g. a port not
 * yet created, or one whose ofport is -1 because OVS could not create it).
 */
export function resolvePorts(flow: Flow, nameToOfport: PortMap<string, number>): Flow {
  return mapFlow(flow, (p, where) => {
    if (typeof p === 'number') return p;
    const n = lookup(nameToOfport, p) ?? RESERVED_PORT_NAMES[p];
    if (n === undefined || n < 0) {
      throw new InputError({
        path: `flow table=${flow.table},priority=${flow.priority} ${where}`,
        value: p,
        expected: n === undefined ? 'a port that exists on the bridge' : 'a port OVS created successfully (its ofport is -1)',
      });
    }
    return n;
  });
}

/** Replace port numbers with names where known (reserved numbers become LOCAL, IN_PORT, ...). */
export function namePorts(flow: Flow, ofportToName: PortMap<number, string>): Flow {
  const reserved = new Map(Object.entries(RESERVED_PORT_NAMES).map(([k, v]) => [v, k]));
  return mapFlow(flow, (p) => (typeof p === 'string' ? p : lookup(ofportToName, p) ?? reserved.get(p) ?? p));
}
