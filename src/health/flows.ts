/**
 * Flows hop health: the installed privroute flows (and meters) match the
 * compiled pipeline — a dry-run diff over OpenFlow, nothing sent — and the
 * protections the config requests, downgraded honestly: a protection is
 * reported `enforced` only if the flows that enforce it are installed as
 * compiled; otherwise it is `unavailable` with the reason.
 */
import type { ApplyReport } from '../flows/apply.js';
import { cookieHex } from '../flows/cookie.js';
import { protections, type Protection, type ProtectionFacts } from '../flows/protections.js';
import { compileFor, observeFlowState } from '../appliance/flows.js';
import type { ApplianceContext } from '../appliance/context.js';
import { hopFrom, type HopHealth } from './types.js';

/** Judge a dry-run report (pure). */
export function judgeFlows(report: ApplyReport): HopHealth {
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
  ];
  return hopFrom('flows', checks, `${d.unchanged} flow(s) and ${m.unchanged} meter(s) installed as compiled`, {
    flows: { unchanged: d.unchanged, missing: d.added.length, different: d.modified.length, stale: d.deleted.length },
    meters: m,
  });
}

/**
 * The requested protections, with `enforced` kept only where the enforcing flows
 * are installed as compiled (`report` null = the switch could not be read:
 * nothing can be claimed as enforced). Pure.
 */
export function verifiedProtections(list: Protection[], report: ApplyReport | null, why = 'the installed flows could not be read'): Protection[] {
  const broken = new Set<string>();
  if (report) for (const f of [...report.diff.added, ...report.diff.modified.map((x) => x.to)]) broken.add(cookieHex(f.cookie));
  return list.map((p) => {
    if (p.status !== 'enforced') return p;
    if (!report) return { ...p, status: 'unavailable' as const, cookies: undefined, reason: `not verified: ${why}` };
    const off = (p.cookies ?? []).filter((c) => broken.has(c));
    return off.length ? { ...p, status: 'unavailable' as const, reason: `flow(s) ${off.join(', ')} are not installed as compiled (run privroute init)` } : p;
  });
}

/** Flows health plus the verified protections. Never throws: a failure is a failed hop. */
export async function flowsHealth(ctx: ApplianceContext, facts: ProtectionFacts = {}): Promise<{ hop: HopHealth; protections: Protection[] }> {
  const compiled = compileFor(ctx);
  const listed = protections(ctx.config, compiled, facts);
  try {
    const { report } = await observeFlowState(ctx.config, compiled);
    return { hop: judgeFlows(report), protections: verifiedProtections(listed, report) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    return {
      hop: hopFrom('flows', [{ name: 'flows.read', ok: false, detail: `cannot read the installed flows: ${msg}` }], ''),
      protections: verifiedProtections(listed, null, msg),
    };
  }
}
