/**
 * The pipeline compiler: Config + address plan → the complete desired flow set
 * and meters. Pure and deterministic (same input, same flows in the same order).
 *
 * All input is validated first and every problem is reported at once as one
 * InputError naming config paths; nothing is compiled from half-valid input.
 */
import type { Config } from '../config/types.js';
import { InputError, type InputProblem } from '../core/errors.js';
import type { Flow, Meter } from '../ovs/flow.js';
import { addressPlan, type Topology } from '../topology/addressing.js';
import { securityMeters } from './build/antispoof.js';
import { chainEdgeFlows, chainIsolationFlows } from './build/chain.js';
import { classificationFlows } from './build/classification.js';
import { conntrackFlows, ctStateFlows } from './build/conntrack.js';
import { buildContext } from './build/context.js';
import { functionRoutingFlows, resolveFunctionRoutes, type FunctionRoute } from './build/function-routing.js';
import { obfuscationFlows } from './build/obfuscation.js';
import { outputFlows } from './build/output.js';
import { securityFlows } from './build/security.js';
import { checkUserFlows, userFlows, type UserFlowReport } from './build/user-flows.js';
import { missFlows } from './pipeline.js';
import { flowKey } from './text.js';

const OF = 'plugins.privacy_router.openflow';

/** Options of {@link compilePipeline}. */
export interface CompileOptions {
  /** Cookie round (0..255). Default 0. */
  round?: number;
  /** Use this address plan instead of `addressPlan(config)` (e.g. the lab adds an access port). */
  topology?: Topology;
}

/** The compiled pipeline. */
export interface CompiledPipeline {
  topology: Topology;
  /** Desired flows, ports by name, sorted by table, then priority (high first), then match text. */
  flows: Flow[];
  /** Desired meters, sorted by id. */
  meters: Meter[];
  /** What happened to each privacy_flows entry. */
  userFlows: UserFlowReport[];
  functionRoutes: FunctionRoute[];
}

/** Check the openflow settings that are not per-entry. */
function checkSettings(config: Config, problems: InputProblem[]): void {
  const f = config.plugins.privacy_router.openflow;
  if (!Number.isInteger(f.obfuscation_level) || f.obfuscation_level < 0 || f.obfuscation_level > 3) {
    problems.push({ path: `${OF}.obfuscation_level`, value: f.obfuscation_level, expected: 'an integer 0..3 (0 off, 1 TTL normalization, 2 + MAC rewrite, 3 + delegated protections)' });
  }
  for (const k of ['arp_rate_pps', 'icmp_rate_pps'] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 1 || f[k] > 1_000_000) problems.push({ path: `${OF}.${k}`, value: f[k], expected: 'packets per second, an integer 1..1000000' });
  }
}

/** Order flows for stable output: table asc, priority desc, canonical match. */
export function sortFlows(flows: Flow[]): Flow[] {
  const key = new Map(flows.map((f) => [f, flowKey(f)]));
  return flows.sort((a, b) => a.table - b.table || b.priority - a.priority || (key.get(a)! < key.get(b)! ? -1 : key.get(a)! > key.get(b)! ? 1 : 0));
}

/**
 * Validate the config and compile the desired pipeline. Throws InputError listing
 * every problem (unknown port or match field in a privacy flow, duplicate function
 * port, obfuscation level out of range, ...). No side effects.
 */
export function compilePipeline(config: Config, opts: CompileOptions = {}): CompiledPipeline {
  const topo = opts.topology ?? addressPlan(config);
  const ctx = buildContext(config.plugins.privacy_router, topo, opts.round ?? 0);
  const problems: InputProblem[] = [];
  checkSettings(config, problems);
  checkUserFlows(ctx, problems);
  const routes = resolveFunctionRoutes(ctx, problems);
  if (problems.length) throw new InputError(problems);

  const reports = userFlows(ctx);
  if (!config.plugins.privacy_router.openflow.enabled) {
    // OpenFlow management off: only the drop-everything miss flows (fail closed).
    return { topology: topo, flows: sortFlows(missFlows(ctx.round)), meters: [], userFlows: reports.map((u) => ({ ...u, status: 'shadowed', reason: 'openflow.enabled is false', flow: undefined })), functionRoutes: routes };
  }
  const builtIn: Flow[] = [
    ...missFlows(ctx.round),
    ...classificationFlows(ctx),
    ...securityFlows(ctx),
    ...conntrackFlows(ctx),
    ...ctStateFlows(ctx),
    ...chainIsolationFlows(ctx),
    ...chainEdgeFlows(ctx),
    ...functionRoutingFlows(ctx, routes),
    ...obfuscationFlows(ctx),
    ...outputFlows(ctx),
  ];
  const byKey = new Map<string, Flow>();
  for (const f of builtIn) {
    const k = flowKey(f);
    // Two built-ins with one key would be a compiler bug: fail loudly rather than pick one.
    if (byKey.has(k)) throw new Error(`pipeline compiler produced two flows with key ${k}`);
    byKey.set(k, f);
  }
  const userProblems: InputProblem[] = [];
  const userKeys = new Map<string, string>();
  for (const u of reports) {
    if (!u.flow) continue;
    const k = flowKey(u.flow);
    const prev = userKeys.get(k);
    if (prev) userProblems.push({ path: u.path, value: u.description ?? u.index, expected: `a match/priority different from ${prev} (both compile to ${k})` });
    userKeys.set(k, u.path);
    // A user flow with the key of a built-in replaces it: same table, priority and match.
    byKey.set(k, u.flow);
  }
  if (userProblems.length) throw new InputError(userProblems);
  const meters = securityMeters(ctx).sort((a, b) => a.id - b.id);
  return { topology: topo, flows: sortFlows([...byKey.values()]), meters, userFlows: reports, functionRoutes: routes };
}
