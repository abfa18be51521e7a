/**
 * Stage 10, security (openflow.enable_security_flows):
 * - drop TCP scan flag combinations: NULL (no flag), Xmas (FIN+PSH+URG), FIN without ACK;
 * - drop IP fragments (nothing on the chain fragments legitimately: MTUs are set and
 *   MSS is clamped; fragments are a classic filter-evasion tool);
 * - drop packets with TTL / hop limit ≤ 1 leaving a socket (they could only expire
 *   on the next hop and make it emit ICMP time-exceeded, revealing the path);
 * - then the anti-spoof allow list (antispoof.ts); anything else misses and is dropped.
 * With security off the stage is a single pass-through flow.
 */
import type { Flow, FlowMatch } from '../../ovs/flow.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import type { Rule } from '../cookie.js';
import { antiSpoofFlows } from './antispoof.js';
import { cookieOf, ETH, flow, PROTO, type BuildContext } from './context.js';

const FIN = 0x01;
const PSH = 0x08;
const URG = 0x20;
const ACK = 0x10;

/** The three scan signatures, as tcp_flags value/mask. */
export const SCAN_SIGNATURES: readonly { rule: Rule; flags: { value: number; mask: number } }[] = [
  { rule: 'scanNull', flags: { value: 0, mask: 0xfff } },
  { rule: 'scanXmas', flags: { value: FIN | PSH | URG, mask: FIN | PSH | URG } },
  { rule: 'scanFin', flags: { value: FIN, mask: FIN | ACK } },
];

function drop(ctx: BuildContext, rule: Rule, objectId: number, match: FlowMatch): Flow {
  return flow({ table: TABLE.security, priority: PRIORITY.securityDrop, cookie: cookieOf(ctx, 'security', rule, objectId), match });
}

/** Scan, fragment and TTL drops, for IPv4 and IPv6. */
export function securityDropFlows(ctx: BuildContext): Flow[] {
  const out: Flow[] = [];
  for (const eth_type of [ETH.ip, ETH.ipv6]) {
    for (const s of SCAN_SIGNATURES) out.push(drop(ctx, s.rule, eth_type, { eth_type, ip_proto: PROTO.tcp, tcp_flags: s.flags }));
    out.push(drop(ctx, 'fragment', eth_type, { eth_type, ip_frag: { value: 1, mask: 1 } }));
    for (const ttl of [0, 1]) out.push(drop(ctx, 'ttlEgress', eth_type, { eth_type, nw_ttl: ttl }));
  }
  return out;
}

/** Stage 10 flows: drops + anti-spoof allow list, or one pass-through when security is off. */
export function securityFlows(ctx: BuildContext): Flow[] {
  if (!ctx.r.openflow.enable_security_flows) {
    return [flow({ table: TABLE.security, priority: PRIORITY.pass, cookie: cookieOf(ctx, 'pass', 'none', TABLE.security), match: {}, gotoTable: TABLE.conntrack })];
  }
  return [...securityDropFlows(ctx), ...antiSpoofFlows(ctx)];
}
