/**
 * What every flow builder receives: the router config, the address plan, the
 * chain invariant, and a cookie factory for the current round. Builders are
 * pure functions `(ctx) => Flow[]`.
 */
import type { RouterConfig } from '../../config/types.js';
import type { Flow } from '../../ovs/flow.js';
import type { Topology, TopologyPort } from '../../topology/addressing.js';
import { makeCookie, type Category, type Rule } from '../cookie.js';
import { chainEdges, type ChainEdge } from '../invariant.js';
import { CHAIN_CLASSES, MESH_CLASSES, type SourceClass } from '../registers.js';

/** Inputs shared by all builders. */
export interface BuildContext {
  readonly r: RouterConfig;
  readonly topo: Topology;
  readonly edges: readonly ChainEdge[];
  readonly round: number;
  /** Any chain port has an IPv6 address (chain_network.subnet6 set). */
  readonly hasV6: boolean;
}

/** Build the context. */
export function buildContext(r: RouterConfig, topo: Topology, round = 0): BuildContext {
  return { r, topo, edges: chainEdges(r, topo), round, hasV6: topo.ports.some((p) => p.ip6 !== undefined) };
}

/** Cookie for a flow of this context's round. */
export function cookieOf(ctx: BuildContext, category: Category, rule: Rule, objectId: number): bigint {
  return makeCookie({ round: ctx.round, category, rule, objectId });
}

/** The source class of a port (what classification writes into reg0). */
export function classOf(p: TopologyPort): SourceClass {
  switch (p.role) {
    case 'gateway':
    case 'xray':
    case 'privacy':
      return 'privacy';
    case 'warp':
      return 'chain_uplink';
    case 'access':
    case 'ingress':
      return 'access';
    case 'mesh':
      return 'mesh';
    case 'mesh-uplink':
      return 'mesh_uplink';
  }
}

/** True if the port's traffic is handled by the privacy-chain stage. */
export function isChainPort(p: TopologyPort): boolean {
  return CHAIN_CLASSES.includes(classOf(p));
}

/** True if the port's traffic is handled by the function-routing (mesh) stage. */
export function isMeshPort(p: TopologyPort): boolean {
  return MESH_CLASSES.includes(classOf(p));
}

/** Ethernet broadcast: ARP requests. */
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';
/** IPv6 multicast MACs (neighbour discovery), as a masked MAC. */
export const V6_MULTICAST = '33:33:00:00:00:00/ff:ff:00:00:00:00';

/** Shorthand for a flow literal with the common defaults. */
export function flow(f: Omit<Flow, 'actions'> & { actions?: Flow['actions'] }): Flow {
  return { ...f, actions: f.actions ?? [] };
}

/** eth_type values. */
export const ETH = { ip: 0x0800, arp: 0x0806, ipv6: 0x86dd } as const;
/** ip_proto values. */
export const PROTO = { icmp: 1, tcp: 6, udp: 17, icmp6: 58 } as const;
