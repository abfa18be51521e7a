/**
 * Stage 50, obfuscation (openflow.obfuscation_level), on egress to warp0 only
 * (the chain's exit towards WARP; nothing else leaves the node):
 *   level ≥ 1  TTL normalization: IPv4 TTL / IPv6 hop limit set to 64, so the
 *              originating stack's initial TTL and hop count are not visible;
 *   level ≥ 2  source-MAC rewrite to the rotating egress MAC (addressing.ts). Only
 *              IP frames are rewritten: ARP keeps the real MAC, so warp0's
 *              neighbour entry for the XRay socket stays valid and replies still
 *              arrive (the node's stack accepts any source MAC on IP frames).
 *   level 3    adds nothing OpenFlow can do; see protections.ts for what is
 *              delegated or unavailable.
 * Every other packet passes unchanged.
 */
import type { Flow, FlowAction } from '../../ovs/flow.js';
import { portByRole } from '../../topology/addressing.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { matchOutputPort } from '../registers.js';
import { cookieOf, ETH, flow, type BuildContext } from './context.js';

/** The TTL written on egress at level ≥ 1. */
export const NORMALIZED_TTL = 64;

/** Stage 50 flows. */
export function obfuscationFlows(ctx: BuildContext): Flow[] {
  const t = TABLE.obfuscation;
  const out: Flow[] = [flow({ table: t, priority: PRIORITY.pass, cookie: cookieOf(ctx, 'pass', 'none', t), match: {}, gotoTable: TABLE.output })];
  const level = ctx.r.openflow.obfuscation_level;
  const warp = portByRole(ctx.topo, 'warp');
  if (level < 1 || !warp) return out;
  const actions: FlowAction[] = [{ type: 'set_nw_ttl', ttl: NORMALIZED_TTL }];
  if (level >= 2) actions.push({ type: 'set_field', field: 'eth_src', value: ctx.topo.egressMac });
  for (const eth_type of [ETH.ip, ETH.ipv6]) {
    out.push(
      flow({
        table: t,
        priority: PRIORITY.forward,
        cookie: cookieOf(ctx, 'obfuscation', level >= 2 ? 'macRewrite' : 'ttlNormalize', warp.objectId),
        match: { regs: matchOutputPort(warp.objectId), eth_type },
        actions,
        gotoTable: TABLE.output,
      }),
    );
  }
  return out;
}
