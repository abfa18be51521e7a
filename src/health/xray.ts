/**
 * XRay hop health: a SOCKS request through the tunnel from CT101, both engine
 * services (VPS over SSH with the pinned host key, CT101), and the VPS engine's
 * counters (src/xray/health.ts). Also returns the engines it detected, the
 * facts `protections()` needs to say whether Vision/REALITY are really delegated.
 */
import type { ProtectionFacts } from '../flows/protections.js';
import type { ApplianceContext } from '../appliance/context.js';
import { mgmtPathFor, xrayContext } from '../appliance/xray.js';
import { clientDesiredFromConfig, clientServiceSpec, detectEngine, detectServiceManager, loadMaterial, vpsDesiredFromConfig, vpsServiceSpec, xrayHealth } from '../xray/index.js';
import { describeMgmtPath } from '../xray/index.js';
import { hopFrom, type HopHealth } from './types.js';

/** Probe the XRay hop (read-only). Throws only if the hop cannot be probed at all. */
export async function xrayHopHealth(ctx: ApplianceContext): Promise<{ hop: HopHealth; facts: ProtectionFacts }> {
  const material = loadMaterial(ctx.store);
  if (!material) return { hop: hopFrom('xray', [{ name: 'xray.identity', ok: false, detail: 'no XRay identity in the store (run privroute init)' }], ''), facts: {} };
  // The daemon probes the VPS every interval: through the chain once it is up (issue 11.16).
  const path = await mgmtPathFor(ctx);
  const mgmt = { name: 'xray.mgmt_ssh', ok: path.kind === 'chain', detail: describeMgmtPath(path) };
  const x = xrayContext(ctx, path);
  try {
    const clientEngine = await detectEngine(x.container);
    const clientService = x.clientService ?? (await detectServiceManager(x.container));
    const vpsService = x.vpsService ?? (await detectServiceManager(x.vps));
    const vd = vpsDesiredFromConfig(ctx.config, material, { service: vpsService, layout: x.vpsLayout, clientEngine });
    const vpsEngine = await detectEngine(x.vps, vd.install === 'upload' ? vd.layout.uploadBinary : vd.engineBinary);
    const facts: ProtectionFacts = { clientEngine, serverEngine: vpsEngine };
    const engineChecks: HopHealth['checks'] = [
      mgmt,
      { name: 'xray.client_engine', ok: clientEngine !== null, detail: clientEngine ? `${clientEngine.kind} ${clientEngine.version} in CT${ctx.config.plugins.privacy_router.xray.container_id}` : 'no proxy engine in the XRay container' },
      { name: 'xray.vps_engine', ok: vpsEngine !== null, detail: vpsEngine ? `${vpsEngine.kind} ${vpsEngine.version} on the VPS` : 'no proxy engine on the VPS' },
    ];
    if (!clientEngine || !vpsEngine) return { hop: hopFrom('xray', engineChecks, ''), facts };
    const cd = clientDesiredFromConfig(ctx.config, ctx.topology, material, { service: clientService, layout: x.clientLayout });
    const h = await xrayHealth({
      config: ctx.config, vps: x.vps, container: x.container,
      vpsSpec: vpsServiceSpec(vd, vpsEngine), clientSpec: clientServiceSpec(cd, clientEngine),
      vpsService, clientService, vpsEngine, apiPort: vd.layout.apiPort,
    });
    const checks: HopHealth['checks'] = [
      ...engineChecks,
      { name: 'xray.socks', ok: h.socks.ok, detail: h.socks.detail },
      { name: 'xray.vps_service', ok: h.vpsService.ok, detail: h.vpsService.detail },
      { name: 'xray.client_service', ok: h.clientService.ok, detail: h.clientService.detail },
    ];
    return { hop: hopFrom('xray', checks, h.socks.detail, { stats: h.stats, statsNote: h.statsNote, generation: material.generation }), facts };
  } finally {
    await x.close();
  }
}
