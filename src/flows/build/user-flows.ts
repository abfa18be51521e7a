/**
 * The seed's `openflow.privacy_flows`, honoured under the chain invariant.
 *
 * DECISION (leak safety). A user flow can only ever *refine* the chain, never
 * widen it:
 * - It is compiled into the privacy-chain table at its own priority, and its
 *   `output:P` becomes "reg1 := P, go to obfuscation → output"; the output stage
 *   (table 60) delivers only along the invariant's edges (invariant.ts). So even
 *   a flow we failed to analyse could not create a bypass.
 * - It is analysed before anything is installed:
 *   - `drop` only                       → active, installed as written (restricting is always safe);
 *   - output to a permitted neighbour    → narrowed: installed with `dl_dst=<P's MAC>` added, so it
 *     takes only frames addressed to P and cannot steal the return path (the seed's
 *     `in_port=internal_101 → output:warp0` would otherwise swallow replies to the gateway);
 *   - output to anything else (e.g. the seed's `in_port=internal_100 → output:warp0`, which
 *     skips the XRay hop: chain-recipe leak 1), no in_port, several ports, NORMAL/FLOOD/…
 *                                        → shadowed by the chain invariant: NOT installed (installing
 *     it would capture the traffic it matches and drop it at the output stage, breaking the
 *     chain instead of being a no-op) and reported as such by `privroute flows`, never as active.
 * Unknown fields, ports or action words are bad input (InputError naming the config path).
 */
import type { InputProblem } from '../../core/errors.js';
import type { Flow, FlowMatch } from '../../ovs/flow.js';
import { portByName } from '../../topology/addressing.js';
import { findEdge, whyForbidden } from '../invariant.js';
import { parseMatchFields } from '../match-fields.js';
import { TABLE } from '../pipeline.js';
import { setOutputPort } from '../registers.js';
import { cookieOf, flow, isChainPort, type BuildContext } from './context.js';

const ROOT = 'plugins.privacy_router.openflow.privacy_flows';
/** Action words that are understood but can never satisfy the invariant. */
const UNSAFE_ACTIONS = ['normal', 'flood', 'all', 'local', 'in_port', 'controller'];

/** How a user flow ended up. */
export type UserFlowStatus = 'active' | 'narrowed' | 'shadowed';

/** The verdict on one privacy_flows entry. */
export interface UserFlowReport {
  index: number;
  path: string;
  description?: string;
  priority: number;
  status: UserFlowStatus;
  /** Why it was narrowed or shadowed. */
  reason?: string;
  /** The flow installed for it (absent when shadowed). */
  flow?: Flow;
}

interface Parsed {
  match: FlowMatch;
  outputs: string[];
  drop: boolean;
  unsafe: string[];
}

function parseEntry(ctx: BuildContext, i: number, problems: InputProblem[]): Parsed {
  const d = ctx.r.openflow.privacy_flows[i]!;
  const path = `${ROOT}[${i}]`;
  if (!Number.isInteger(d.priority) || d.priority < 1 || d.priority > 65535) problems.push({ path: `${path}.priority`, value: d.priority, expected: 'an integer 1..65535' });
  const match = parseMatchFields(d.match_fields ?? {}, `${path}.match_fields`, ctx.topo, problems);
  const p: Parsed = { match, outputs: [], drop: false, unsafe: [] };
  if (!Array.isArray(d.actions) || d.actions.length === 0) problems.push({ path: `${path}.actions`, value: d.actions, expected: 'a non-empty list such as ["output:internal_101"] or ["drop"]' });
  (d.actions ?? []).forEach((a, j) => {
    const at = `${path}.actions[${j}]`;
    const w = String(a).trim();
    const out = /^output:(.+)$/.exec(w);
    if (out) {
      if (!portByName(ctx.topo, out[1]!)) problems.push({ path: at, value: a, expected: `output to a port on the bridge (${ctx.topo.ports.map((x) => x.name).join(', ')})` });
      else p.outputs.push(out[1]!);
    } else if (w.toLowerCase() === 'drop') p.drop = true;
    else if (UNSAFE_ACTIONS.includes(w.toLowerCase().split(':')[0]!)) p.unsafe.push(w);
    else problems.push({ path: at, value: a, expected: 'one of "output:<port>", "drop" (other OpenFlow actions are not supported in privacy_flows)' });
  });
  if (p.drop && (p.outputs.length || p.unsafe.length)) problems.push({ path: `${path}.actions`, value: d.actions, expected: '"drop" alone, or outputs without "drop"' });
  return p;
}

/** Validate every entry; problems are appended (caller throws one InputError for all). */
export function checkUserFlows(ctx: BuildContext, problems: InputProblem[]): void {
  ctx.r.openflow.privacy_flows.forEach((_, i) => parseEntry(ctx, i, problems));
}

/** Analyse and compile every entry. Call after {@link checkUserFlows} found no problem. */
export function userFlows(ctx: BuildContext): UserFlowReport[] {
  return ctx.r.openflow.privacy_flows.map((d, i) => {
    const p = parseEntry(ctx, i, []);
    const base = { index: i, path: `${ROOT}[${i}]`, description: d.description, priority: d.priority };
    const cookie = cookieOf(ctx, 'user', 'none', i);
    if (p.drop) return { ...base, status: 'active', flow: flow({ table: TABLE.privacyChain, priority: d.priority, cookie, match: p.match }) };
    const shadowed = (reason: string): UserFlowReport => ({ ...base, status: 'shadowed', reason: `shadowed by chain invariant: ${reason}` });
    if (p.unsafe.length) return shadowed(`${p.unsafe.join(', ')} would switch frames to ports the invariant does not permit`);
    const targets = [...new Set(p.outputs)];
    if (targets.length !== 1) return shadowed(`outputs to ${targets.join(', ')}; a frame is delivered only to the one neighbour its destination MAC names`);
    const to = portByName(ctx.topo, targets[0]!)!;
    if (p.match.in_port === undefined) return shadowed(`no in_port; the invariant needs the ingress port to check the hop to ${to.name}`);
    const from = portByName(ctx.topo, String(p.match.in_port))!;
    if (!isChainPort(from)) return shadowed(`${from.name} is not a chain port; its traffic never enters the privacy chain table`);
    if (!findEdge(ctx.edges, from.name, to.name)) return shadowed(whyForbidden(ctx.edges, ctx.topo, from, to));
    if (p.match.eth_dst !== undefined && p.match.eth_dst !== to.mac) return shadowed(`frames addressed to ${p.match.eth_dst} are never delivered to ${to.name} (${to.mac})`);
    const narrowed = p.match.eth_dst === undefined;
    const installed = flow({
      table: TABLE.privacyChain,
      priority: d.priority,
      cookie,
      match: { ...p.match, eth_dst: to.mac },
      actions: [setOutputPort(to.objectId)],
      gotoTable: TABLE.obfuscation,
    });
    return narrowed
      ? { ...base, status: 'narrowed', reason: `narrowed by chain invariant to frames addressed to ${to.name} (dl_dst=${to.mac})`, flow: installed }
      : { ...base, status: 'active', flow: installed };
  });
}
