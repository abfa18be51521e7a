/**
 * Stages 20 (conntrack) and 21 (ct_state): a privacy socket accepts only replies
 * to connections it opened.
 *
 * Chain-class IP traffic is sent through conntrack in one zone and recirculated
 * to ct_state. There:
 *   +inv              → drop
 *   +est / +rel       → privacy chain
 *   +new              → ct(commit) and on, only along an `opens` edge of the chain
 *                       invariant (gateway→xray, xray→warp0, access→gateway service);
 *                       any other new connection (warp0→xray, xray→gateway, …) misses → drop.
 * Non-IP chain traffic (ARP) goes straight to the chain stage, and so does IPv6
 * neighbour discovery (NS/NA with hop limit 255: it cannot have been routed, and
 * conntrack marks it invalid, which would make chain IPv6 addresses unresolvable);
 * the chain stage floods it to neighbours only, the output filters decide. Mesh traffic goes to
 * function routing. With security off, stage 20 only dispatches and ct is not used.
 */
import type { Flow, FlowMatch } from '../../ovs/flow.js';
import { CT_STATE } from '../../ovs/flow.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { CHAIN_CLASSES, MESH_CLASSES, matchSourceClass, SOURCE_CLASS } from '../registers.js';
import { cookieOf, ETH, flow, PROTO, type BuildContext } from './context.js';

/** The conntrack zone of chain traffic. */
export const CT_ZONE = 77;

const TRK = CT_STATE.trk;
/** ICMPv6 neighbour solicitation and advertisement. */
const ND_TYPES = [135, 136] as const;

/** Stage 20 flows. */
export function conntrackFlows(ctx: BuildContext): Flow[] {
  const out: Flow[] = [];
  const security = ctx.r.openflow.enable_security_flows;
  for (const c of CHAIN_CLASSES) {
    const cls = SOURCE_CLASS[c];
    if (security) {
      if (ctx.hasV6) {
        for (const icmpv6_type of ND_TYPES) {
          out.push(
            flow({
              table: TABLE.conntrack,
              priority: PRIORITY.ndBypass,
              cookie: cookieOf(ctx, 'conntrack', 'ndBypass', cls),
              match: { regs: matchSourceClass(c), eth_type: ETH.ipv6, ip_proto: PROTO.icmp6, icmpv6_type, nw_ttl: 255 },
              gotoTable: TABLE.privacyChain,
            }),
          );
        }
      }
      for (const eth_type of [ETH.ip, ETH.ipv6]) {
        out.push(
          flow({
            table: TABLE.conntrack,
            priority: PRIORITY.forward,
            cookie: cookieOf(ctx, 'conntrack', 'ctTrack', cls),
            match: { regs: matchSourceClass(c), eth_type },
            actions: [{ type: 'ct', zone: CT_ZONE, table: TABLE.ctState }],
          }),
        );
      }
    }
    out.push(flow({ table: TABLE.conntrack, priority: PRIORITY.functionRoute, cookie: cookieOf(ctx, 'pass', 'none', cls), match: { regs: matchSourceClass(c) }, gotoTable: TABLE.privacyChain }));
  }
  for (const c of MESH_CLASSES) {
    const cls = SOURCE_CLASS[c];
    out.push(flow({ table: TABLE.conntrack, priority: PRIORITY.functionRoute, cookie: cookieOf(ctx, 'pass', 'none', cls), match: { regs: matchSourceClass(c) }, gotoTable: TABLE.functionRouting }));
  }
  return out;
}

/** Stage 21 flows (none with security off: nothing recirculates there). */
export function ctStateFlows(ctx: BuildContext): Flow[] {
  if (!ctx.r.openflow.enable_security_flows) return [];
  const t = TABLE.ctState;
  const out: Flow[] = [
    flow({ table: t, priority: PRIORITY.ctInvalid, cookie: cookieOf(ctx, 'conntrack', 'ctInvalid', 0), match: { ct_state: { value: CT_STATE.inv | TRK, mask: CT_STATE.inv | TRK } } }),
    flow({ table: t, priority: PRIORITY.ctVerdict, cookie: cookieOf(ctx, 'conntrack', 'ctEstablished', 0), match: { ct_state: { value: CT_STATE.est | TRK, mask: CT_STATE.est | TRK } }, gotoTable: TABLE.privacyChain }),
    flow({ table: t, priority: PRIORITY.ctVerdict, cookie: cookieOf(ctx, 'conntrack', 'ctEstablished', 1), match: { ct_state: { value: CT_STATE.rel | TRK, mask: CT_STATE.rel | TRK } }, gotoTable: TABLE.privacyChain }),
  ];
  const isNew = { value: CT_STATE.new | TRK, mask: CT_STATE.new | CT_STATE.est | CT_STATE.rel | CT_STATE.inv | TRK };
  for (const e of ctx.edges) {
    if (!e.opens) continue;
    // Only IP filters matter here (ARP never reaches conntrack).
    const filters: FlowMatch[] = e.filters ? e.filters.filter((f) => f.eth_type !== ETH.arp) : [{ eth_type: ETH.ip }, { eth_type: ETH.ipv6 }];
    for (const f of filters) {
      out.push(
        flow({
          table: t,
          priority: PRIORITY.forward,
          cookie: cookieOf(ctx, 'conntrack', 'ctCommit', e.from.objectId),
          match: { in_port: e.from.name, ct_state: isNew, ...f, eth_dst: e.to.mac },
          actions: [{ type: 'ct', commit: true, zone: CT_ZONE }],
          gotoTable: TABLE.privacyChain,
        }),
      );
    }
  }
  return out;
}
