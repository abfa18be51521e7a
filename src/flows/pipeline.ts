/**
 * The privroute OpenFlow pipeline, declared as data (Antrea pkg/agent/openflow style).
 *
 *   packet in
 *      │
 *      ▼
 *   ┌──────────────────┐ unknown in_port → drop
 *   │ 0 classification │ reg0 := source class (privacy / mesh / chain_uplink / mesh_uplink / access)
 *   └────────┬─────────┘
 *            ▼
 *   ┌──────────────────┐ scans (NULL/Xmas/FIN), fragments, TTL ≤ 1 → drop
 *   │ 10 security      │ anti-spoof: only the port's own MAC (+ its allowed IP sources) pass
 *   └────────┬─────────┘ ARP / ICMP through per-port meters
 *            ▼
 *   ┌──────────────────┐ chain-class IP → ct(zone) → 21        mesh classes → 40
 *   │ 20 conntrack     │ chain-class non-IP → 30
 *   └────────┬─────────┘
 *            ▼
 *   ┌──────────────────┐ +inv → drop; +est/+rel → 30
 *   │ 21 ct_state      │ +new only from the side that may open (gw→xray, xray→warp0,
 *   └────────┬─────────┘ access→gw service) → ct(commit) → 30; other +new → drop
 *            ▼
 *   ┌──────────────────┐ isolation guards (frames to non-neighbour MACs) → drop
 *   │ 30 privacy_chain │ user privacy_flows (narrowed by the chain invariant)
 *   └────────┬─────────┘ built-in edges: reg1 := neighbour owning dl_dst
 *            │                    ┌───────────────────┐ isolation guards (frames to chain MACs) → drop
 *            │     (mesh) ───────►│ 40 function_routing│ function → target socket by tcp/udp dst,
 *            │                    └─────────┬─────────┘ replies from function ports, mesh ARP/ICMP
 *            ▼                              ▼
 *   ┌──────────────────┐ level ≥ 1: egress to warp0 gets TTL 64
 *   │ 50 obfuscation   │ level ≥ 2: egress to warp0 gets the rotating egress MAC
 *   └────────┬─────────┘
 *            ▼
 *   ┌──────────────────┐ THE INVARIANT: output:P only for a permitted (in_port → P) edge and a
 *   │ 60 output        │ frame addressed to P (or broadcast); mesh ports only from mesh classes
 *   └──────────────────┘
 *
 * Every table's miss action is drop: a priority-0 flow with no actions, owned by
 * privroute (category `miss`), so a dump shows the miss explicitly and the bridge
 * behaves the same whatever the switch's own table-miss default is.
 */
import type { Flow } from '../ovs/flow.js';
import { makeCookie } from './cookie.js';

/** One stage of the pipeline. */
export interface TableDecl {
  /** OpenFlow table id. */
  id: number;
  /** Stage name used in text output and docs. */
  name: string;
  /** What the stage decides. */
  purpose: string;
  /** What happens to a packet no flow matches. Always drop in privroute. */
  miss: 'drop';
}

/** Table ids by stage name. */
export const TABLE = {
  classification: 0,
  security: 10,
  conntrack: 20,
  ctState: 21,
  privacyChain: 30,
  functionRouting: 40,
  obfuscation: 50,
  output: 60,
} as const;

/** The pipeline in order. */
export const PIPELINE: readonly TableDecl[] = [
  { id: TABLE.classification, name: 'classification', purpose: 'mark the source class of known ports; drop unknown ports', miss: 'drop' },
  { id: TABLE.security, name: 'security', purpose: 'scan/fragment/TTL drops, anti-spoof, ARP/ICMP meters', miss: 'drop' },
  { id: TABLE.conntrack, name: 'conntrack', purpose: 'send chain IP traffic through conntrack; dispatch mesh traffic', miss: 'drop' },
  { id: TABLE.ctState, name: 'ct_state', purpose: 'accept replies and permitted new connections only', miss: 'drop' },
  { id: TABLE.privacyChain, name: 'privacy_chain', purpose: 'gateway <-> xray <-> warp0 forwarding, user privacy_flows', miss: 'drop' },
  { id: TABLE.functionRouting, name: 'function_routing', purpose: 'mesh: function -> target socket', miss: 'drop' },
  { id: TABLE.obfuscation, name: 'obfuscation', purpose: 'TTL normalization and source-MAC rewrite on egress to warp0', miss: 'drop' },
  { id: TABLE.output, name: 'output', purpose: 'the chain invariant: output only along permitted edges', miss: 'drop' },
];

/** Well-known priorities, so builders and tests agree. */
export const PRIORITY = {
  miss: 0,
  pass: 1,
  /** Built-in chain edges and mesh L2 sit low so user privacy_flows (e.g. 100) can refine them. */
  edge: 10,
  meshL2: 20,
  functionRoute: 90,
  forward: 100,
  /** IPv6 neighbour discovery skips conntrack (above `forward`, the ct() dispatch). */
  ndBypass: 150,
  allow: 200,
  allowMetered: 210,
  ctVerdict: 200,
  ctInvalid: 300,
  securityDrop: 400,
  /** Isolation guards outrank every user flow priority the config may use. */
  isolation: 65000,
} as const;

/** Stage name of a table id ("table 30" if not a pipeline table). */
export function tableName(id: number): string {
  return PIPELINE.find((t) => t.id === id)?.name ?? `table ${id}`;
}

/** The priority-0 drop flow of every table, owned by privroute. */
export function missFlows(round: number): Flow[] {
  return PIPELINE.map((t) => ({
    table: t.id,
    priority: PRIORITY.miss,
    cookie: makeCookie({ round, category: 'miss', rule: 'none', objectId: t.id }),
    match: {},
    actions: [],
  }));
}
