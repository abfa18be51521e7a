/**
 * Anti-spoof allow list and ARP/ICMP meters (part of stage 10, security).
 *
 * Every port may send only with its own MAC, and ARP only with its own
 * sender MAC and IP. IP sources depend on the role, because some ports are
 * routers for traffic that is not their own:
 *   gateway      own IP, or the WireGuard client subnet (it routes client traffic)
 *   xray         own IP; or any source towards the client subnet via the gateway
 *                (transparent-proxy replies carry the original destination as source)
 *   warp0        own IP; or any source towards the XRay socket (replies from the VPS)
 *   nm-privacy   own IP; or any source towards the mesh subnet (mesh peers)
 *   access       any source towards the gateway (clients dial from anywhere)
 *   ingress      own IP towards the gateway only (the node SNATs what it forwards)
 *   mesh / other own IP only
 * IPv6 (when configured) adds the port's own address and link-local (ND).
 * ICMP/ICMPv6 and ARP go through per-port meters (arp_rate_pps / icmp_rate_pps).
 */
import type { Flow, FlowMatch, Meter } from '../../ovs/flow.js';
import type { TopologyPort } from '../../topology/addressing.js';
import { portByRole } from '../../topology/addressing.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { cookieOf, ETH, flow, PROTO, type BuildContext } from './context.js';

/** First meter id privroute uses; ids [METER_BASE, METER_BASE + 2*65536) are privroute's. */
export const METER_BASE = 0x20000;
/** One past the last privroute meter id. */
export const METER_END = METER_BASE + 2 * 0x10000;

/** Meter id of a port's ARP or ICMP meter. */
export function meterId(p: TopologyPort, kind: 'arp' | 'icmp'): number {
  return METER_BASE + p.objectId * 2 + (kind === 'arp' ? 0 : 1);
}

/** True if `id` is in privroute's meter id range (ownership of meters). */
export function isOwnedMeter(id: number): boolean {
  return id >= METER_BASE && id < METER_END;
}

/** Extra match fields, one entry per allowed IPv4 source rule of the port. */
export function allowedSources4(ctx: BuildContext, p: TopologyPort): FlowMatch[] {
  const own: FlowMatch = { ipv4_src: p.ip };
  const gw = portByRole(ctx.topo, 'gateway');
  const xray = portByRole(ctx.topo, 'xray');
  switch (p.role) {
    case 'gateway':
      return [own, { ipv4_src: ctx.r.wireguard.subnet }];
    case 'xray':
      return gw ? [own, { eth_dst: gw.mac, ipv4_dst: ctx.r.wireguard.subnet }] : [own];
    case 'warp':
      return xray ? [own, { ipv4_dst: xray.ip }] : [own];
    case 'mesh-uplink':
      return [own, { ipv4_dst: ctx.r.mesh_network.subnet }];
    case 'access':
      return gw ? [{ ipv4_dst: gw.ip }] : [];
    case 'ingress':
      return gw ? [{ ipv4_src: p.ip, ipv4_dst: gw.ip }] : [];
    default:
      return [own];
  }
}

/** Solicited-node multicast addresses (RFC 4291 2.7.1): where neighbour solicitations go. */
const SOLICITED_NODE = 'ff02::1:ff00:0/104';

/** Extra match fields, one entry per allowed IPv6 source rule of the port (none without an IPv6 address). */
export function allowedSources6(ctx: BuildContext, p: TopologyPort): FlowMatch[] {
  if (!p.ip6) return [];
  const base: FlowMatch[] = [{ ipv6_src: p.ip6 }, { ipv6_src: 'fe80::/10' }];
  const gw = portByRole(ctx.topo, 'gateway');
  const xray = portByRole(ctx.topo, 'xray');
  const clients6 = ctx.r.wireguard.subnet6;
  if (p.role === 'gateway' && clients6) base.push({ ipv6_src: clients6 });
  if (p.role === 'xray' && gw && clients6) base.push({ eth_dst: gw.mac, ipv6_dst: clients6 });
  if (p.role === 'warp' && xray?.ip6) base.push({ ipv6_dst: xray.ip6 });
  // Neighbour solicitations for the gateway go to its solicited-node multicast address, from the port's own address.
  if (p.role === 'access') return gw?.ip6 ? [{ ipv6_dst: gw.ip6 }, { ipv6_dst: SOLICITED_NODE }, { ipv6_src: 'fe80::/10' }] : [];
  if (p.role === 'ingress') return gw?.ip6 ? [{ ipv6_src: p.ip6, ipv6_dst: gw.ip6 }, { ipv6_src: p.ip6, ipv6_dst: SOLICITED_NODE }, { ipv6_src: 'fe80::/10' }] : [];
  return base;
}

/** The allow flows of every port (ARP, ICMP metered; IP not). */
export function antiSpoofFlows(ctx: BuildContext): Flow[] {
  const out: Flow[] = [];
  for (const p of ctx.topo.ports) {
    const base = { table: TABLE.security, gotoTable: TABLE.conntrack };
    out.push(
      flow({
        ...base,
        priority: PRIORITY.allow,
        cookie: cookieOf(ctx, 'security', 'arpMeter', p.objectId),
        match: { in_port: p.name, eth_type: ETH.arp, eth_src: p.mac, arp_spa: p.ip, arp_sha: p.mac },
        meter: meterId(p, 'arp'),
      }),
    );
    const families: [number, number, FlowMatch[]][] = [
      [ETH.ip, PROTO.icmp, allowedSources4(ctx, p)],
      [ETH.ipv6, PROTO.icmp6, allowedSources6(ctx, p)],
    ];
    for (const [eth_type, icmp, rules] of families) {
      for (const rule of rules) {
        const m: FlowMatch = { in_port: p.name, eth_type, eth_src: p.mac, ...rule };
        out.push(flow({ ...base, priority: PRIORITY.allowMetered, cookie: cookieOf(ctx, 'security', 'icmpMeter', p.objectId), match: { ...m, ip_proto: icmp }, meter: meterId(p, 'icmp') }));
        out.push(flow({ ...base, priority: PRIORITY.allow, cookie: cookieOf(ctx, 'security', 'antiSpoof', p.objectId), match: m }));
      }
    }
  }
  return out;
}

/** The meters the allow list refers to (none with security off). */
export function securityMeters(ctx: BuildContext): Meter[] {
  if (!ctx.r.openflow.enable_security_flows) return [];
  const f = ctx.r.openflow;
  return ctx.topo.ports.flatMap((p) => [
    { id: meterId(p, 'arp'), unit: 'pktps' as const, rate: f.arp_rate_pps },
    { id: meterId(p, 'icmp'), unit: 'pktps' as const, rate: f.icmp_rate_pps },
  ]);
}
