/**
 * The `flows` component and the one flows observe/diff every entry point uses
 * (`init`/`plan`, the flows health check, `privroute flows`): the compiled
 * OpenFlow pipeline for the appliance's topology against what is on the bridge.
 * Apply sends exactly the planned FLOW_MODs/METER_MODs in one atomic bundle (and
 * nothing when converged). Depends on `ovs` (the ports must exist to have
 * OpenFlow numbers).
 */
import type { Change, Component } from '../core/runner.js';
import type { Config } from '../config/types.js';
import { PreconditionError } from '../core/errors.js';
import { compilePipeline, type CompiledPipeline } from '../flows/compile.js';
import { diffPipeline, observeRaw, openflowEndpoint, sendChanges, type ApplyReport, type ObservedFlows } from '../flows/apply.js';
import type { FlowChange, MeterChange } from '../flows/reconcile.js';
import { bridgeOfports, missingPorts } from '../flows/switch-state.js';
import { flowText } from '../flows/text.js';
import { OpenFlowClient } from '../ovs/openflow/client.js';
import type { Topology } from '../topology/addressing.js';
import type { ApplianceContext } from './context.js';

/** The switch as the flows component sees it. */
export interface FlowsObserved {
  /** Port name → OpenFlow port number on the bridge. */
  ports: Map<string, number>;
  /** The privroute-owned flows and meters installed (ports as numbers). */
  installed: ObservedFlows;
  /** The dry-run diff of the compiled pipeline against `installed` (nothing sent). */
  report: ApplyReport;
}

/** A planned part of the flows reconcile: the mods it carries are sent on apply. */
export interface FlowsChange extends Change {
  flows: readonly FlowChange[];
  meters: readonly MeterChange[];
}

/** Compile the pipeline for the appliance's topology (pure; InputError on bad config). */
export function compileFor(ctx: { config: Config; topology: Topology }): CompiledPipeline {
  return compilePipeline(ctx.config, { topology: ctx.topology });
}

/**
 * Observe the bridge and diff it against `compiled`. Read-only (OVSDB read, OpenFlow
 * dumps). Throws PreconditionError when a port the pipeline needs is not on the
 * bridge, or the connection error when the switch is unreachable.
 */
export async function observeFlowState(config: Config, compiled: CompiledPipeline): Promise<FlowsObserved> {
  const ports = await bridgeOfports(config);
  const missing = missingPorts(compiled.topology, ports);
  if (missing.length) throw new PreconditionError(`ports ${missing.join(', ')} on bridge ${config.plugins.privacy_router.bridge_name} have no OpenFlow number yet`, 'run `privroute init` (the ovs component creates them; check its error)');
  const sw = await OpenFlowClient.connect(openflowEndpoint(config));
  try {
    const installed = await observeRaw(sw);
    return { ports, installed, report: diffPipeline(compiled, ports, installed) };
  } finally {
    await sw.close();
  }
}

/** The changes that take the switch from `o` to the compiled pipeline. Pure. */
export function planFlows(o: FlowsObserved): FlowsChange[] {
  const d = o.report.diff;
  const out: FlowsChange[] = [];
  const added = new Set(d.added);
  const summary = (n: number, what: string, flows: readonly FlowChange[]) => n && out.push({ describe: `${what} ${n} flow${n === 1 ? '' : 's'}`, flows, meters: [] });
  summary(d.added.length, 'add', d.mods.filter((m) => m.command === 'add' && added.has(m.flow)));
  // A cookie change is an `add` replacing the installed flow: it belongs to "modify".
  summary(d.modified.length, 'modify', d.mods.filter((m) => m.command !== 'delete_strict' && !added.has(m.flow)));
  summary(d.deleted.length, 'delete', d.mods.filter((m) => m.command === 'delete_strict'));
  const m = o.report.meters;
  if (m.added + m.modified + m.deleted) out.push({ describe: `meters: +${m.added} ~${m.modified} -${m.deleted}`, flows: [], meters: d.meters });
  // Name a few flows so `plan` shows what moves, not only counts (nothing to send).
  for (const f of d.added.slice(0, 3)) out.push({ describe: `  + ${flowText(f)}`, flows: [], meters: [] });
  return out;
}

/** Send exactly the planned mods in one atomic bundle. Returns whether a bundle was sent. */
export async function applyFlows(config: Config, changes: readonly FlowsChange[]): Promise<boolean> {
  const flows = changes.flatMap((c) => c.flows);
  const meters = changes.flatMap((c) => c.meters);
  if (flows.length === 0 && meters.length === 0) return false;
  const sw = await OpenFlowClient.connect(openflowEndpoint(config));
  try {
    return await sendChanges(sw, flows, meters);
  } finally {
    await sw.close();
  }
}

/** The component: observe = {@link observeFlowState}, plan = {@link planFlows}, apply = {@link applyFlows}. */
export function flowsComponent(ctx: ApplianceContext): Component<FlowsObserved, FlowsChange> {
  const compiled = compileFor(ctx);
  return {
    name: 'flows',
    dependsOn: ['ovs'],
    observe: () => observeFlowState(ctx.config, compiled),
    plan: planFlows,
    async apply(changes) {
      await applyFlows(ctx.config, changes);
    },
  };
}
