/**
 * `privroute status` as data: every enabled hop checked (concurrently; all
 * read-only), a hop whose check throws reported as failed with the message,
 * then the protections with the engine facts the XRay check verified. Also the
 * human rendering. Changes nothing.
 */
import type { Protection, ProtectionFacts } from '../flows/protections.js';
import type { ApplianceContext } from '../appliance/context.js';
import { macRotationCapability } from './capabilities.js';
import { listRotations } from '../state/rotations.js';
import { flowsHealth } from './flows.js';
import { gatewayHealth } from './gateway.js';
import { ovsHealth } from './ovs.js';
import { meshHealth } from './mesh.js';
import { hopFailed, type HopHealth, type HopName, type StatusReport } from './types.js';
import { warpHopHealth } from './warp.js';
import { xrayHopHealth } from './xray.js';

/** Options of {@link collectStatus}. */
export interface StatusOptions {
  /** WARP trace page override (default Cloudflare's; the lab passes its stand-in). */
  warpTraceUrl?: string;
  /** Clock (tests). */
  now?: () => Date;
}

/** Run `fn`; a throw becomes a failed hop with the message. */
export async function guarded(hop: HopName, fn: () => Promise<HopHealth>): Promise<HopHealth> {
  try {
    return await fn();
  } catch (e) {
    return hopFailed(hop, e);
  }
}

/** The netmaker hop (src/health/mesh.ts): joined, peers with handshake ages, function probes. */
export function netmakerHealth(ctx: ApplianceContext, now?: Date): Promise<HopHealth> {
  return guarded('netmaker', () => meshHealth(ctx.config, ctx.topology, ctx.node, now));
}

/** Collect the status of every enabled hop. Never throws for a hop failure. */
export async function collectStatus(ctx: ApplianceContext, o: StatusOptions = {}): Promise<StatusReport> {
  const r = ctx.config.plugins.privacy_router;
  let facts: ProtectionFacts = {};
  const xray = r.xray.enabled
    ? guarded('xray', async () => {
        const x = await xrayHopHealth(ctx);
        facts = x.facts;
        return x.hop;
      })
    : undefined;
  const others = await Promise.all([
    guarded('ovs', () => ovsHealth(ctx)),
    r.wireguard.enabled ? guarded('gateway', () => gatewayHealth(ctx.config, ctx.store)) : undefined,
    r.warp.enabled ? guarded('warp', () => warpHopHealth(ctx, o.warpTraceUrl)) : undefined,
    xray,
    r.netmaker.enabled ? netmakerHealth(ctx, o.now?.()) : undefined,
  ]);
  // Protections need the engine facts, so flows are judged after the XRay check.
  let protections: Protection[] = [];
  const flows = await guarded('flows', async () => {
    const f = await flowsHealth(ctx, facts);
    protections = f.protections;
    return f.hop;
  });
  const [ovs, gateway, warp, xr, mesh] = others;
  const hops = [ovs, flows, gateway, warp, xr, mesh].filter((h): h is HopHealth => h !== undefined);
  const macRotation = await macRotationCapability(ctx).catch((e: Error) => ({ available: null, reason: `cannot check: ${e.message.split('\n')[0]}` }));
  const rotations = listRotations(ctx.store, { limit: 20 }).map(({ detail: _d, ...r }) => r);
  return { ok: hops.every((h) => h.ok), at: (o.now?.() ?? new Date()).toISOString(), hops, protections, capabilities: { macRotation }, rotations };
}

const MARK: Record<Protection['status'], string> = { enforced: 'enforced   ', delegated: 'delegated  ', unavailable: 'UNAVAILABLE' };

/** Human rendering of a status (pure). */
export function renderStatus(s: StatusReport): string {
  const lines = [s.ok ? 'status: every hop healthy' : `status: NOT healthy (${s.hops.filter((h) => !h.ok).map((h) => h.hop).join(', ')} failed)`];
  for (const h of s.hops) {
    lines.push(`${h.ok ? 'ok  ' : 'FAIL'} ${h.hop.padEnd(8)} ${h.detail}`);
    if (!h.ok) for (const c of h.checks.filter((c) => !c.ok)) if (c.detail !== h.detail) lines.push(`       ${c.name}: ${c.detail}`);
  }
  if (s.protections.length) {
    lines.push('protections:');
    for (const p of s.protections) {
      const why = p.status === 'delegated' ? ` (by ${p.hop})` : p.status === 'unavailable' && p.reason ? ` — ${p.reason}` : '';
      lines.push(`  ${MARK[p.status]} ${p.name}${why}`);
    }
  }
  const mac = s.capabilities?.macRotation;
  if (mac && mac.available !== true) lines.push(`MAC rotation: UNAVAILABLE — ${mac.reason ?? 'unknown'}`);
  if (mac?.available === true && mac.lastRotation !== undefined) lines.push(`MAC rotation: available; last rotated ${mac.lastRotation ?? 'never'}`);
  if (mac?.pending) lines.push(`MAC rotation: PENDING — ${mac.pending}`);
  if (mac?.macs && Object.keys(mac.macs).length) lines.push(`MACs in force: ${Object.entries(mac.macs).map(([n, m]) => `${n} ${m}`).join(', ')}`);
  return lines.join('\n');
}
