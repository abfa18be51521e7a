/**
 * WARP hop health: the tunnel's handshake age and a trace probe through the
 * tunnel that must say `warp=on` (src/warp/service.ts warpStatusFromConfig),
 * plus the identity the store holds (device id, account type; no secrets).
 */
import type { ApplianceContext } from '../appliance/context.js';
import { warpStatusFromConfig } from '../warp/service.js';
import { hopFrom, type HopHealth } from './types.js';

/** Probe the WARP hop. `traceUrl` overrides Cloudflare's trace page (the lab's stand-in). */
export async function warpHopHealth(ctx: ApplianceContext, traceUrl?: string): Promise<HopHealth> {
  const s = await warpStatusFromConfig({ config: ctx.config, store: ctx.store, topology: ctx.topology, logger: ctx.logger, exec: ctx.node }, traceUrl);
  const checks: HopHealth['checks'] = [
    { name: 'warp.identity', ok: s.source !== 'none', detail: s.source === 'none' ? 'no WARP device registered (run privroute init)' : `device ${s.deviceId ?? '?'} (${s.source})` },
    { name: s.handshake.name, ok: s.handshake.ok, detail: s.handshake.detail },
    { name: s.trace.name, ok: s.trace.ok, detail: s.trace.detail },
  ];
  return hopFrom('warp', checks, `${s.handshake.detail}; ${s.trace.detail}`, {
    source: s.source, deviceId: s.deviceId, accountType: s.accountType, address4: s.address4, endpoint: s.endpoint,
    handshakeAgeSec: s.handshake.ageSec, warp: s.trace.warp, egressIp: s.trace.ip,
  });
}
