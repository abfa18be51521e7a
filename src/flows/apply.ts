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
import { namePorts, resolvePorts } from '../ovs/ports.js';
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

function invert(ports: PortNumbers): Map<number, string> {
  const entries = ports instanceof Map ? [...ports.entries()] : Object.entries(ports);
  return new Map(entries.map(([k, v]) => [v, k]));
}

/** The OpenFlow endpoint from config: ovs.openflow, else `<rundir>/<bridge>.mgmt`. */
export function openflowEndpoint(config: Config): string {
  const r = config.plugins.privacy_router;
  return r.ovs.openflow ?? `unix:${r.ovs.rundir.replace(/\/$/, '')}/${r.bridge_name}.mgmt`;
}

/** Read-only: privroute-owned flows (ports named) and meters currently on the switch. */
export async function observeFlows(sw: FlowSwitch, ports: PortNumbers): Promise<ObservedFlows> {
  const byNumber = invert(ports);
  const [flows, meters] = await Promise.all([sw.dumpFlows({ cookie: OWNER_COOKIE, cookieMask: OWNER_MASK }), sw.dumpMeters()]);
  return { flows: flows.map((f) => namePorts(f, byNumber)), meters: meters.filter((m) => isOwnedMeter(m.id)) };
}

/**
 * Reconcile the switch to `compiled`: observe, diff, and apply the difference in one
 * atomic bundle (meters around it, see OpenFlowClient.applyBundle). With `dryRun`,
 * only observes and diffs. Ports are resolved before anything is sent, so an
 * unknown port fails with nothing changed.
 */
export async function applyPipeline(sw: FlowSwitch, compiled: CompiledPipeline, ports: PortNumbers, opts: { dryRun?: boolean } = {}): Promise<ApplyReport> {
  const observed = await observeFlows(sw, ports);
  const diff = diffFlows(compiled.flows, observed.flows, compiled.meters, observed.meters);
  const mods: FlowMod[] = diff.mods.map((m) => ({ command: m.command, flow: resolvePorts(m.flow, ports) }));
  const meters: MeterMod[] = diff.meters;
  const sent = !opts.dryRun && (mods.length > 0 || meters.length > 0);
  if (sent) await sw.applyBundle(mods, meters);
  const count = (c: string) => meters.filter((m) => m.command === c).length;
  return {
    added: diff.added.length,
    modified: diff.modified.length,
    deleted: diff.deleted.length,
    unchanged: diff.unchanged,
    meters: { added: count('add'), modified: count('modify'), deleted: count('delete'), unchanged: diff.metersUnchanged },
    sent,
    diff,
  };
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
