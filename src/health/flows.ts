/**
 * Flows hop health: the installed privroute flows (and meters) match the
 * compiled pipeline — a dry-run diff over OpenFlow, nothing sent — and the
 * protections the config requests, downgraded honestly: a protection is
 * reported `enforced` only if the flows that enforce it are installed as
 * compiled and no foreign flow (one privroute did not install) sits in its
 * tables; otherwise it is `unavailable` with the reason.
 */
import type { ApplyReport } from '../flows/apply.js';
import { openflowEndpoint } from '../flows/apply.js';
import type { CompiledPipeline } from '../flows/compile.js';
import { cookieHex, isOwned } from '../flows/cookie.js';
import { protections, type Protection, type ProtectionFacts } from '../flows/protections.js';
import { compileFor, observeFlowState } from '../appliance/flows.js';
import type { ApplianceContext } from '../appliance/context.js';
import type { Config } from '../config/types.js';
import { OpenFlowClient } from '../ovs/openflow/client.js';
import type { Flow } from '../ovs/flow.js';
import { hopFrom, type HopHealth } from './types.js';

/**
 * Flows in privroute's tables that privroute did not install (no ownership
 * cookie): reconcile leaves them alone by design, but one of them can override
 * the pipeline (a high-priority NORMAL in table 0 bypasses everything), so status
 * must say so. Pure.
 */
export function foreignFlows(all: readonly Flow[], tables: ReadonlySet<number>): Flow[] {
  return all.filter((f) => !isOwned(f.cookie) && tables.has(f.table));
}

/** `table T priority P cookie C` for the first few foreign flows. */
function describeForeign(foreign: readonly Flow[]): string {
  const shown = foreign.slice(0, 3).map((f) => `table ${f.table} priority ${f.priority} cookie ${cookieHex(f.cookie)}`);
  return `${foreign.length} foreign flow(s) in privroute's tables (${shown.join('; ')}${foreign.length > 3 ? '; …' : ''}); privroute never removes flows it does not own: check who added them (ovs-ofctl dump-flows) and delete them`;
}

/** Judge a dry-run report and the foreign flows found in privroute's tables (pure). */
export function judgeFlows(report: ApplyReport, foreign: readonly Flow[] = []): HopHealth {
  const d = report.diff;
  const m = report.meters;
  const drift = d.added.length + d.modified.length + d.deleted.length;
  const meterDrift = m.added + m.modified + m.deleted;
  const checks: HopHealth['checks'] = [
    drift
      ? { name: 'flows.match', ok: false, detail: `installed flows differ from the compiled pipeline: ${d.added.length} missing, ${d.modified.length} different, ${d.deleted.length} stale` }
      : { name: 'flows.match', ok: true, detail: `${d.unchanged} flow(s) installed as compiled` },
    meterDrift
      ? { name: 'flows.meters', ok: false, detail: `meters differ: ${m.added} missing, ${m.modified} different, ${m.deleted} stale` }
      : { name: 'flows.meters', ok: true, detail: `${m.unchanged} meter(s) as compiled` },
    foreign.length
      ? { name: 'flows.foreign', ok: false, detail: describeForeign(foreign) }
      : { name: 'flows.foreign', ok: true, detail: "no foreign flow in privroute's tables" },
  ];
  return hopFrom('flows', checks, `${d.unchanged} flow(s) and ${m.unchanged} meter(s) installed as compiled`, {
    flows: { unchanged: d.unchanged, missing: d.added.length, different: d.modified.length, stale: d.deleted.length, foreign: foreign.length },
    meters: m,
  });
}

/**
 * The requested protections, with `enforced` kept only where the enforcing flows
 * are installed as compiled (`report` null = the switch could not be read:
 * nothing can be claimed as enforced). Pure.
 */
export function verifiedProtections(list: Protection[], report: ApplyReport | null, why = 'the installed flows could not be read', foreign: readonly Flow[] = []): Protection[] {
  const broken = new Set<string>();
  if (report) for (const f of [...report.diff.added, ...report.diff.modified.map((x) => x.to)]) broken.add(cookieHex(f.cookie));
  return list.map((p) => {
    if (p.status !== 'enforced') return p;
    if (!report) return { ...p, status: 'unavailable' as const, cookies: undefined, reason: `not verified: ${why}` };
    // A foreign flow can outrank any of ours: nothing is claimed while one is there.
    if (foreign.length) return { ...p, status: 'unavailable' as const, reason: `not verified: ${foreign.length} foreign flow(s) in privroute's tables can override it` };
    const off = (p.cookies ?? []).filter((c) => broken.has(c));
    return off.length ? { ...p, status: 'unavailable' as const, reason: `flow(s) ${off.join(', ')} are not installed as compiled (run privroute init)` } : p;
  });
}

/** The foreign flows in the compiled pipeline's tables, from a full dump of the switch. Read-only. */
export async function observeForeignFlows(config: Config, compiled: CompiledPipeline): Promise<Flow[]> {
  const sw = await OpenFlowClient.connect(openflowEndpoint(config));
  try {
    return foreignFlows(await sw.dumpFlows(), new Set(compiled.flows.map((f) => f.table)));
  } finally {
    await sw.close();
  }
}

/** Flows health plus the verified protections. Never throws: a failure is a failed hop. */
export async function flowsHealth(ctx: ApplianceContext, facts: ProtectionFacts = {}): Promise<{ hop: HopHealth; protections: Protection[] }> {
  const compiled = compileFor(ctx);
  const listed = protections(ctx.config, compiled, facts);
  try {
    const { report } = await observeFlowState(ctx.config, compiled);
    const foreign = await observeForeignFlows(ctx.config, compiled);
    return { hop: judgeFlows(report, foreign), protections: verifiedProtections(listed, report, undefined, foreign) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    return {
      hop: hopFrom('flows', [{ name: 'flows.read', ok: false, detail: `cannot read the installed flows: ${msg}` }], ''),
      protections: verifiedProtections(listed, null, msg),
    };
  }
}
