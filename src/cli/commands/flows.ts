/**
 * `privroute flows [--diff] [--apply]` (global --json): the compiled OpenFlow
 * pipeline, what is installed, what differs, and which protections are really in
 * force. `--apply` reconciles: one atomic bundle, nothing sent when in sync.
 *
 * Input is validated before anything is touched (InputError, exit 2). Without
 * --diff/--apply an unreachable switch only hides the installed side; with them it
 * is an error.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/types.js';
import { pipelineText } from '../../flows/golden.js';
import { protections, type Protection } from '../../flows/protections.js';
import { invert, nameFlowPorts, type ApplyReport } from '../../flows/apply.js';
import type { FlowDiff } from '../../flows/reconcile.js';
import { flowText } from '../../flows/text.js';
import { applianceTopology } from '../../topology/topology.js';
import { applyFlows, compileFor, observeFlowState, planFlows } from '../../appliance/flows.js';
import type { Flow } from '../../ovs/flow.js';
import { action, type CliContext } from '../context.js';

interface FlowsOptions {
  diff?: boolean;
  apply?: boolean;
}

function protectionLine(p: Protection): string {
  const extra = p.status === 'enforced' ? ` (${p.cookies!.length} cookie${p.cookies!.length === 1 ? '' : 's'})` : p.status === 'delegated' ? ` → ${p.hop}` : '';
  return `  ${p.status.padEnd(11)} ${p.name}${extra}${p.reason ? ` — ${p.reason}` : ''}`;
}

function diffLines(d: FlowDiff): string[] {
  return [
    ...d.added.map((f) => `+ ${flowText(f)}`),
    ...d.modified.map((m) => `~ ${flowText(m.to)}\n    (installed: ${flowText(m.from)})`),
    ...d.deleted.map((f) => `- ${flowText(f)}`),
    ...d.meters.map((m) => `${m.command === 'add' ? '+' : m.command === 'delete' ? '-' : '~'} meter=${m.meter.id} ${m.meter.unit} rate=${m.meter.rate}`),
  ];
}

async function run(ctx: CliContext, opts: FlowsOptions): Promise<void> {
  const config = ctx.config;
  // Validate and compile before touching anything: bad input exits 2 here. The
  // topology is init's (stored MAC salt, access port), so flows and init agree.
  const compiled = compileFor({ config, topology: applianceTopology(config, ctx.existingStore()) });
  const prot = protections(config, compiled);
  let report: ApplyReport | undefined;
  let diff: FlowDiff | undefined;
  let installedFlows: Flow[] | undefined;
  let unreachable: string | undefined;
  try {
    const o = await observeFlowState(config, compiled);
    // The diff is computed on port numbers; name them back for display.
    const byNumber = invert(o.ports);
    const named = (f: Flow) => nameFlowPorts(f, byNumber);
    installedFlows = o.installed.flows.map(named);
    report = o.report;
    if (opts.apply) report = { ...report, sent: await applyFlows(config, planFlows(o)) };
    const d = report.diff;
    diff = { ...d, added: d.added.map(named), deleted: d.deleted.map(named), modified: d.modified.map((m) => ({ from: named(m.from), to: named(m.to) })) };
  } catch (e) {
    if (opts.diff || opts.apply) throw e;
    unreachable = (e as Error).message;
  }
  if (!opts.apply) report = undefined;
  const data = {
    bridge: config.plugins.privacy_router.bridge_name,
    desired: compiled.flows.map((f) => flowText(f)),
    meters: compiled.meters,
    userFlows: compiled.userFlows.map(({ flow, ...u }) => ({ ...u, installedAs: flow ? flowText(flow) : null })),
    protections: prot,
    installed: installedFlows ? installedFlows.map((f) => flowText(f)) : null,
    inSync: diff ? diff.mods.length === 0 && diff.meters.length === 0 : null,
    diff: diff ? diffLines(diff) : null,
    applied: report ? { added: report.added, modified: report.modified, deleted: report.deleted, unchanged: report.unchanged, meters: report.meters, sent: report.sent } : null,
    unreachable: unreachable ?? null,
  };
  ctx.output(data, () => {
    const out: string[] = [];
    if (!opts.diff && !opts.apply) out.push(pipelineText(compiled.flows, compiled.meters).trimEnd(), '');
    out.push('privacy_flows:');
    for (const u of compiled.userFlows) out.push(`  [${u.index}] ${u.status.padEnd(8)} priority=${u.priority} ${u.description ?? ''}${u.reason ? `\n        ${u.reason}` : ''}`);
    out.push('', 'protections:', ...prot.map(protectionLine));
    if (!config.plugins.privacy_router.openflow.enable_security_flows) out.push('  (security flows off: openflow.enable_security_flows is false)');
    out.push('');
    if (unreachable) out.push(`installed: unknown (switch unreachable: ${unreachable})`);
    else if (diff) {
      if (opts.diff || opts.apply) out.push(...diffLines(diff));
      out.push(diff.mods.length || diff.meters.length ? `installed: ${diff.added.length} to add, ${diff.modified.length} to modify, ${diff.deleted.length} to delete, ${diff.meters.length} meter changes` : `installed: in sync (${diff.unchanged} flows, ${diff.metersUnchanged} meters)`);
    }
    if (report) out.push(report.sent ? `applied in one bundle: +${report.added} ~${report.modified} -${report.deleted} (unchanged ${report.unchanged})` : 'applied: nothing to do (no FLOW_MOD sent)');
    return out.join('\n');
  });
}

/** Register `flows` on `program`. */
export function register(program: Command): void {
  program
    .command('flows')
    .description('show the OpenFlow pipeline, installed vs desired, and the protections in force')
    .option('--diff', 'show only the differences between desired and installed (needs OVS reachable)')
    .option('--apply', 'reconcile: apply the differences in one atomic bundle')
    .action(action((ctx, cmd) => run(ctx, cmd.opts<FlowsOptions>())));
}
