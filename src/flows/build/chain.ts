/**
 * Stage 30, privacy chain: built-in forwarding along the chain invariant's edges
 * and the isolation guards. (User privacy_flows are added by user-flows.ts.)
 *
 * - isolation (priority 65000, above any user flow): a frame from a chain port
 *   addressed to the MAC of any port that is not its neighbour is dropped here,
 *   so `ofproto/trace` shows the isolation drop explicitly;
 * - edges (priority 10): a frame from A addressed to neighbour B's MAC goes to B
 *   (reg1 := B, then obfuscation → output);
 * - ARP broadcast (and IPv6 ND multicast) from A is copied to each neighbour only.
 */
import type { Flow, FlowAction } from '../../ovs/flow.js';
import { neighbours } from '../invariant.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { setOutputPort } from '../registers.js';
import { BROADCAST, cookieOf, ETH, flow, isChainPort, PROTO, V6_MULTICAST, type BuildContext } from './context.js';

/** Isolation guards of the chain stage. */
export function chainIsolationFlows(ctx: BuildContext): Flow[] {
  const out: Flow[] = [];
  for (const a of ctx.topo.ports.filter(isChainPort)) {
    const allowed = new Set(neighbours(ctx.edges, a).map((p) => p.name));
    for (const b of ctx.topo.ports) {
      if (b.name === a.name || allowed.has(b.name)) continue;
      out.push(flow({ table: TABLE.privacyChain, priority: PRIORITY.isolation, cookie: cookieOf(ctx, 'isolation', 'none', a.objectId), match: { in_port: a.name, eth_dst: b.mac } }));
    }
  }
  return out;
}

/** Built-in edge forwarding and neighbour-only ARP/ND flooding. */
export function chainEdgeFlows(ctx: BuildContext): Flow[] {
  const out: Flow[] = [];
  for (const e of ctx.edges) {
    out.push(
      flow({
        table: TABLE.privacyChain,
        priority: PRIORITY.edge,
        cookie: cookieOf(ctx, 'chain', 'edge', e.from.objectId),
        match: { in_port: e.from.name, eth_dst: e.to.mac },
        actions: [setOutputPort(e.to.objectId)],
        gotoTable: TABLE.obfuscation,
      }),
    );
  }
  for (const a of ctx.topo.ports.filter(isChainPort)) {
    const ns = neighbours(ctx.edges, a);
    if (ns.length === 0) continue;
    const copies: FlowAction[] = ns.flatMap((b) => [setOutputPort(b.objectId), { type: 'resubmit', table: TABLE.obfuscation } as const]);
    out.push(flow({ table: TABLE.privacyChain, priority: PRIORITY.edge, cookie: cookieOf(ctx, 'chain', 'flood', a.objectId), match: { in_port: a.name, eth_type: ETH.arp, eth_dst: BROADCAST }, actions: copies }));
    if (ctx.hasV6) {
      out.push(
        flow({
          table: TABLE.privacyChain,
          priority: PRIORITY.edge,
          cookie: cookieOf(ctx, 'chain', 'flood', a.objectId),
          match: { in_port: a.name, eth_type: ETH.ipv6, ip_proto: PROTO.icmp6, eth_dst: V6_MULTICAST },
          actions: copies,
        }),
      );
    }
  }
  return out;
}
