/**
 * MAC rotation as data (pure): which link moves from which MAC to which, where
 * each link lives, and the make-before-break flow set that accepts both the old
 * and the new MACs while the links move.
 *
 *   1. flows := old ∪ new     (anti-spoof, ARP, isolation, chain eth_dst, output:
 *                              every MAC-matching flow exists for both MACs)
 *   2. each link moves to its new MAC where it lives (container or node); the
 *      kernel's gratuitous ARP / unsolicited NA refreshes the neighbours
 *   3. OVSDB Interface.mac := new (a port re-created by ovs-vswitchd gets it)
 *   4. salt in force := new;  flows := new   (the old MACs stop being accepted)
 */
import type { Topology, TopologyPort } from '../topology/addressing.js';
import type { CompiledPipeline } from '../flows/compile.js';
import { flowKey } from '../flows/text.js';
import { sortFlows } from '../flows/compile.js';

/** Where a port's link lives: the node's namespace, a container's, or nowhere privroute reaches. */
export type LinkHome = { kind: 'node' } | { kind: 'container'; id: number } | { kind: 'foreign' };

/** One link's move. */
export interface MacMove {
  name: string;
  home: LinkHome;
  from: string;
  to: string;
}

/**
 * Where a port's link lives. Container sockets (gateway, xray, privacy, mesh) are
 * moved into their container by the sockets component; warp0, nm-privacy and the
 * ingress port stay on the node. The client access port is handed to whatever owns the client side
 * (the lab moves it into the client's namespace): privroute does not reach it, and
 * its MAC is not salted (src/flows/addressing.ts), so it never moves.
 */
export function linkHome(p: TopologyPort): LinkHome {
  if (p.role === 'warp' || p.role === 'mesh-uplink' || p.role === 'ingress') return { kind: 'node' };
  if (p.role === 'access') return { kind: 'foreign' };
  return { kind: 'container', id: p.objectId };
}

/** The moves from topology `from` to topology `to` (same ports, other salt). Ports whose MAC does not change are left out. */
export function planMacMoves(from: Topology, to: Topology): MacMove[] {
  const old = new Map(from.ports.map((p) => [p.name, p.mac]));
  return to.ports
    .filter((p) => linkHome(p).kind !== 'foreign' && old.has(p.name) && old.get(p.name) !== p.mac)
    .map((p) => ({ name: p.name, home: linkHome(p), from: old.get(p.name)!, to: p.mac }));
}

/**
 * The make-before-break pipeline: every flow of `before` and of `after`. Flows
 * that match on a MAC differ in their match, so both versions are kept; a flow
 * with the same key in both (same table, priority, match) takes `after`'s actions
 * — that is the egress MAC rewrite towards warp0, which may carry the new source
 * MAC at once (warp0 does not filter on it). Meters are `after`'s (MAC-independent).
 */
export function unionPipeline(before: CompiledPipeline, after: CompiledPipeline): CompiledPipeline {
  const byKey = new Map(before.flows.map((f) => [flowKey(f), f]));
  for (const f of after.flows) byKey.set(flowKey(f), f);
  return { ...after, flows: sortFlows([...byKey.values()]) };
}
