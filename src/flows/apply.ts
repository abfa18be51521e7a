/**
 * Observe and apply the pipeline over OpenFlow (through src/ovs's OpenFlowClient):
 *   observe: dump the flows carrying privroute's cookie prefix (server-side filter)
 *            and privroute's meters, ports mapped back to names;
 *   apply:   diff (reconcile.ts) and send the changes as ONE atomic bundle — and
 *            nothing at all when there is nothing to change (a no-op reconcile sends
 *            no FLOW_MOD and no METER_MOD).
 * Flows and meters privroute does not own are never dumped into the diff, so they
 * are never touched.
 */
import type { Config } from '../config/types.js';
import type { Flow, Meter } from '../ovs/flow.js';
import { OpenFlowClient, type FlowMod, type MeterMod } from '../ovs/openflow/client.js';
import { resolvePorts } from '../ovs/ports.js';
import { isOwnedMeter } from './build/antispoof.js';
import type { CompiledPipeline } from './compile.js';
import { OWNER_COOKIE, OWNER_MASK } from './cookie.js';
import { diffFlows, type FlowDiff } from './reconcile.js';

/** The subset of OpenFlowClient apply needs (a fake can stand in for unit tests). */
export interface FlowSwitch {
  dumpFlows(filter?: { cookie?: bigint; cookieMask?: bigint; table?: number }): Promise<Flow[]>;
  dumpMeters(): Promise<Meter[]>;
  applyBundle(mods: FlowMod[], meters?: MeterMod[]): Promise<void>;
}

/** Port name → OpenFlow port number (from OVSDB Interface.ofport). */
export type PortNumbers = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** The installed privroute state, ports by name. */
export interface ObservedFlows {
  flows: Flow[];
  meters: Meter[];
}

/** What one apply did. */
export interface ApplyReport {
  added: number;
  modified: number;
  deleted: number;
  unchanged: number;
  meters: { added: number; modified: number; deleted: number; unchanged: number };
  /** True when a bundle was sent (false for a no-op reconcile). */
  sent: boolean;
  diff: FlowDiff;
}

/**
 * Port numbers → names in a decoded flow (in_port, output and resubmit ports), the
 * inverse of resolvePorts. Unknown numbers stay numbers (so they never match a
 * desired flow and get replaced). Allocates only for flows that have ports.
 */
export function nameFlowPorts(f: Flow, byNumber: ReadonlyMap<number, string>): Flow {
  const name = (p: string | number) => (typeof p === 'number' ? byNumber.get(p) ?? p : p);
  const inPort = f.match.in_port;
  const hasPortAction = f.actions.some((a) => a.type === 'output' || (a.type === 'resubmit' && a.port !== undefined));
  if (inPort === undefined && !hasPortAction) return f;
  return {
    ...f,
    match: inPort === undefined ? f.match : { ...f.match, in_port: name(inPort) },
    actions: hasPortAction
      ? f.actions.map((a) => (a.type === 'output' ? { ...a, port: name(a.port) } : a.type === 'resubmit' && a.port !== undefined ? { ...a, port: name(a.port) } : a))
      : f.actions,
  };
}

/** number → name of a port map. */
export function invert(ports: PortNumbers): Map<number, string> {
  const entries = ports instanceof Map ? [...ports.entries()] : Object.entries(ports);
  return new Map(entries.map(([k, v]) => [v, k]));
}

/** The OpenFlow endpoint from config: ovs.openflow, else `<rundir>/<bridge>.mgmt`. */
export function openflowEndpoint(config: Config): string {
  const r = config.plugins.privacy_router;
  return r.ovs.openflow ?? `unix:${r.ovs.rundir.replace(/\/$/, '')}/${r.bridge_name}.mgmt`;
}

/** Read-only: privroute-owned flows (ports as numbers) and meters currently on the switch. */
export async function observeRaw(sw: FlowSwitch): Promise<ObservedFlows> {
  const [flows, meters] = await Promise.all([sw.dumpFlows({ cookie: OWNER_COOKIE, cookieMask: OWNER_MASK }), sw.dumpMeters()]);
  return { flows, meters: meters.filter((m) => isOwnedMeter(m.id)) };
}

/** Read-only: privroute-owned flows (ports named) and meters currently on the switch. */
export async function observeFlows(sw: FlowSwitch, ports: PortNumbers): Promise<ObservedFlows> {
  const byNumber = invert(ports);
  const o = await observeRaw(sw);
  return { flows: o.flows.map((f) => nameFlowPorts(f, byNumber)), meters: o.meters };
}

// Desired flows resolved to port numbers, cached per flow list and keyed by the port
// numbers' *content* (a map mutated in place after a vswitchd restart must not reuse
// stale numbers): a daemon reconciling the same compiled pipeline resolves it once, and
// diffFlows' per-list index (canonical texts) is reused because the resolved list is
// the same object.
const resolvedLists = new WeakMap<readonly Flow[], { sig: string; flows: Flow[] }>();
function resolvedList(flows: readonly Flow[], ports: PortNumbers): Flow[] {
  const entries = ports instanceof Map ? [...ports.entries()] : Object.entries(ports);
  const sig = entries.map(([k, v]) => `${k}=${v}`).sort().join(',');
  const hit = resolvedLists.get(flows);
  if (hit && hit.sig === sig) return hit.flows;
  const r = flows.map((f) => resolvePorts(f, ports));
  resolvedLists.set(flows, { sig, flows: r });
  return r;
}

/**
 * The difference between `compiled` and what is on the switch (`observed`, as
 * {@link observeRaw} returns it: ports as numbers). Pure. Desired ports are resolved
 * first, so an unknown port throws before anything could be sent. The report's flows
 * carry port numbers (see {@link nameFlowPorts}); `sent` is false.
 */
export function diffPipeline(compiled: CompiledPipeline, ports: PortNumbers, observed: ObservedFlows): ApplyReport {
  const desired = resolvedList(compiled.flows, ports);
  const diff = diffFlows(desired, observed.flows, compiled.meters, observed.meters);
  const count = (c: string) => diff.meters.filter((m) => m.command === c).length;
  return {
    added: diff.added.length,
    modified: diff.modified.length,
    deleted: diff.deleted.length,
    unchanged: diff.unchanged,
    meters: { added: count('add'), modified: count('modify'), deleted: count('delete'), unchanged: diff.metersUnchanged },
    sent: false,
    diff,
  };
}

/**
 * Send exactly `mods` and `meters` as one atomic bundle; nothing at all when both
 * are empty. Returns whether a bundle was sent.
 */
export async function sendChanges(sw: FlowSwitch, mods: readonly FlowMod[], meters: readonly MeterMod[]): Promise<boolean> {
  if (mods.length === 0 && meters.length === 0) return false;
  await sw.applyBundle([...mods], [...meters]);
  return true;
}

/**
 * Reconcile the switch to `compiled`: observe, diff ({@link diffPipeline}) and send
 * the difference in one atomic bundle ({@link sendChanges}). With `dryRun`, only
 * observes and diffs.
 */
export async function applyPipeline(sw: FlowSwitch, compiled: CompiledPipeline, ports: PortNumbers, opts: { dryRun?: boolean } = {}): Promise<ApplyReport> {
  const report = diffPipeline(compiled, ports, await observeRaw(sw));
  // Resolving desired ports happened in diffPipeline, before anything is sent.
  const sent = !opts.dryRun && (await sendChanges(sw, report.diff.mods, report.diff.meters));
  return { ...report, sent };
}

/** Connect to `endpoint`, reconcile, close. */
export async function reconcileSwitch(endpoint: string, compiled: CompiledPipeline, ports: PortNumbers, opts: { dryRun?: boolean } = {}): Promise<ApplyReport> {
  const client = await OpenFlowClient.connect(endpoint);
  try {
    return await applyPipeline(client, compiled, ports, opts);
  } finally {
    await client.close();
  }
}
