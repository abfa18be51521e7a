/**
 * The chain invariant: the complete list of directed edges along which the
 * privacy chain may carry a frame. Everything the pipeline forwards for chain
 * ports is checked against this list in the output stage (table 60), which is
 * the only place chain traffic is ever output. No config entry can add an edge.
 *
 *          access ──(ARP, ICMP, UDP to listen_port)──► gateway
 *          ingress ──(ARP, UDP to listen_port)──► gateway   (node DNAT from the uplink, docs/ingress.md)
 *          gateway ──► xray ──► warp0          (and each reverse direction)
 *
 * - The gateway (WireGuard, internal_100) reaches only the XRay socket, never
 *   warp0: a direct gateway→warp0 path would bypass the VPS hop
 *   (chain-recipe.md, leak 1).
 * - warp0 reaches only the XRay socket.
 * - New connections may be opened only along `opens` edges (conntrack stage);
 *   the reverse direction carries replies only.
 * - A missing hop (disabled in config) removes its edges: traffic fails closed.
 */
import type { FlowMatch } from '../ovs/flow.js';
import type { RouterConfig } from '../config/types.js';
import { portByRole, type Topology, type TopologyPort } from '../topology/addressing.js';

/** One permitted directed edge. */
export interface ChainEdge {
  from: TopologyPort;
  to: TopologyPort;
  /** The `from` side may open new connections along this edge. */
  opens: boolean;
  /** If set, only frames matching one of these (extra match fields) may use the edge. */
  filters?: readonly FlowMatch[];
}

const ARP: FlowMatch = { eth_type: 0x0806 };

/** Protocol filters of the access↔gateway edges (the recipe's "client port may only send ARP, ICMP, UDP to the WireGuard port"). */
function accessFilters(listenPort: number, dir: 'in' | 'out', v6: boolean, icmp = true): FlowMatch[] {
  const udp = dir === 'in' ? { udp_dst: listenPort } : { udp_src: listenPort };
  const out: FlowMatch[] = [ARP, ...(icmp ? [{ eth_type: 0x0800, ip_proto: 1 }] : []), { eth_type: 0x0800, ip_proto: 17, ...udp }];
  // IPv6 needs ICMPv6 for neighbour discovery even where ICMP is otherwise refused.
  if (v6) out.push({ eth_type: 0x86dd, ip_proto: 58 }, { eth_type: 0x86dd, ip_proto: 17, ...udp });
  return out;
}

/** The permitted edges for this topology, in a stable order. */
export function chainEdges(r: RouterConfig, topo: Topology): ChainEdge[] {
  const gw = portByRole(topo, 'gateway');
  const xray = portByRole(topo, 'xray');
  const warp = portByRole(topo, 'warp');
  const access = portByRole(topo, 'access');
  const ingress = portByRole(topo, 'ingress');
  const edges: ChainEdge[] = [];
  if (gw && xray) edges.push({ from: gw, to: xray, opens: true }, { from: xray, to: gw, opens: false });
  if (xray && warp) edges.push({ from: xray, to: warp, opens: true }, { from: warp, to: xray, opens: false });
  if (access && gw) {
    const v6 = gw.ip6 !== undefined;
    edges.push(
      { from: access, to: gw, opens: true, filters: accessFilters(r.wireguard.listen_port, 'in', v6) },
      { from: gw, to: access, opens: false, filters: accessFilters(r.wireguard.listen_port, 'out', v6) },
    );
  }
  if (ingress && gw) {
    // No ICMP (v4): with the gateway down its port-unreachable must not reach the internet client.
    const v6 = gw.ip6 !== undefined;
    edges.push(
      { from: ingress, to: gw, opens: true, filters: accessFilters(r.wireguard.listen_port, 'in', v6, false) },
      { from: gw, to: ingress, opens: false, filters: accessFilters(r.wireguard.listen_port, 'out', v6, false) },
    );
  }
  return edges;
}

/** The ports `from` may send to (its permitted neighbours). */
export function neighbours(edges: readonly ChainEdge[], from: TopologyPort): TopologyPort[] {
  return edges.filter((e) => e.from.name === from.name).map((e) => e.to);
}

/** The edge from → to, or undefined when the invariant forbids it. */
export function findEdge(edges: readonly ChainEdge[], from: string, to: string): ChainEdge | undefined {
  return edges.find((e) => e.from.name === from && e.to.name === to);
}

/** Human explanation of why from → to is not a permitted edge. */
export function whyForbidden(edges: readonly ChainEdge[], topo: Topology, from: TopologyPort, to: TopologyPort): string {
  const allowed = neighbours(edges, from).map((p) => p.name);
  const xray = portByRole(topo, 'xray');
  const bypass = from.role === 'gateway' && to.role === 'warp' ? ` would bypass the XRay hop${xray ? ` (${xray.name})` : ''} and leak past the VPS;` : '';
  return `${from.name} → ${to.name}${bypass} the chain invariant permits ${from.name} → ${allowed.length ? allowed.join(', ') : 'nothing'} only`;
}
