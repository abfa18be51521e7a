/**
 * Wiring of the WARP hop from the Config and the state store: the API client,
 * the node executor, the account (registered, or imported from a wgcf profile),
 * node apply, rotation and health. What the CLI (`init`, `rotate warp`,
 * `status`) and the daemon call.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { InputError, OperationError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { nodeExec } from '../host/node.js';
import { hasDefaultRoute, netDrift, observeNet } from '../net/reconcile.js';
import type { StateStore } from '../state/store.js';
import type { Topology } from '../topology/addressing.js';
import { finishSetup, registerDevice, setupPending, type RegisterResult } from './account.js';
import { activeAccount, updateAccount } from './account-store.js';
import { WarpApi } from './api.js';
import { warpHealth, type HandshakeHealth, type TraceHealth } from './health.js';
import type { WarpHttpOptions } from './http.js';
import { applyWarpNode, resolveEndpoint, type WarpNodeDeps } from './node.js';
import type { WgControl } from './node-observe.js';
import type { WarpNodeChange } from './node-reconcile.js';
import { warpGuardNet, warpNodeSpecFromConfig, warpSocketNet } from './node-spec.js';
import { readLicense, readWgcfProfile } from './files.js';
import { tunnelModelFromDevice, tunnelModelFromProfile, type ReservedBytes, type WarpTunnelModel } from './profile.js';
import { rotateWarp, type RotateWarpResult } from './rotate.js';
import type { WarpAccountRecord } from './types.js';
import { UAPI_SOCKET_DIR, UserspaceBackend } from '../tunnel/device/uapi-backend.js';

const W = 'plugins.privacy_router.warp';

/** What the wiring needs; everything but config/store has a production default. */
export interface WarpContext {
  config: Config;
  store: StateStore;
  logger?: Logger;
  /** The appliance's topology (src/topology): warp0's addresses. */
  topology: Topology;
  /** Node executor; default: the config's (src/host/node.ts). */
  exec?: HostExec;
  /** wireguard-go socket dir; default /var/run/wireguard. */
  wgSocketDir?: string;
  /** The tunnel's WireGuard control; default the userspace backend for warp.tunnel_interface (tests inject a fake). */
  wg?: WgControl;
  /** Transport overrides (tests: sleep, baseDelayMs). */
  http?: Partial<WarpHttpOptions>;
}

/** The API client for warp.api_base / warp.api_ca_file. Close it after use. */
export function warpApi(ctx: WarpContext): WarpApi {
  const w = ctx.config.plugins.privacy_router.warp;
  return new WarpApi({ baseUrl: w.api_base, caFile: w.api_ca_file, logger: ctx.logger, ...ctx.http });
}

/** The tunnel's UAPI control. */
export function warpWg(ctx: WarpContext): WgControl {
  if (ctx.wg) return ctx.wg;
  return UserspaceBackend.forInterface(ctx.config.plugins.privacy_router.warp.tunnel_interface, ctx.wgSocketDir ?? UAPI_SOCKET_DIR);
}

/** The WARP+ license (see files.ts: mode and shape checked). Re-exported for callers of this module. */
export { readLicense };

/** True when the node has an IPv6 default route (then the v6 endpoint is used). */
export async function hostHasIpv6(exec: HostExec): Promise<boolean> {
  return hasDefaultRoute(exec, 6);
}

/** Node deps for a registered device. */
export async function nodeDepsForAccount(ctx: WarpContext, account: WarpAccountRecord): Promise<WarpNodeDeps> {
  const exec = ctx.exec ?? nodeExec(ctx.config.plugins.privacy_router.runtime);
  const model = tunnelModelFromDevice(account.device, { hostHasIpv6: await hostHasIpv6(exec), backend: 'wireguard-go' });
  return { exec, wg: warpWg(ctx), spec: warpNodeSpecFromConfig(ctx.config, ctx.topology, model), privateKey: account.privateKey };
}

/** Node deps from an imported wgcf profile (warp.wgcf_config). */
export async function nodeDepsForProfile(ctx: WarpContext, file: string): Promise<WarpNodeDeps> {
  const p = await readWgcfProfile(file);
  const exec = ctx.exec ?? nodeExec(ctx.config.plugins.privacy_router.runtime);
  return { exec, wg: warpWg(ctx), spec: warpNodeSpecFromConfig(ctx.config, ctx.topology, tunnelModelFromProfile(p, 'wireguard-go')), privateKey: p.privateKey };
}

/**
 * The active account, registering one (with the configured license) if there is
 * none. A rejected license is reported in the result; the free device is kept.
 */
export async function ensureWarpAccount(ctx: WarpContext): Promise<RegisterResult & { registered: boolean }> {
  const have = activeAccount(ctx.store);
  if (have && !setupPending(ctx.store, have.deviceId)) return { account: have, registered: false };
  const api = warpApi(ctx);
  try {
    if (have) {
      // A device registered by an earlier run that failed after POST /reg: finish
      // *that* device (a new registration would take another licence slot).
      return { ...(await finishSetup(api, ctx.store, have, { license: await readLicense(ctx.config), logger: ctx.logger })), registered: false };
    }
    const r = await registerDevice(api, ctx.store, { license: await readLicense(ctx.config), logger: ctx.logger });
    return { ...r, registered: true };
  } finally {
    api.close();
  }
}

/** Deps for the configured source: an imported profile, else the active (or a new) device. */
export async function warpNodeDeps(ctx: WarpContext): Promise<WarpNodeDeps> {
  const file = ctx.config.plugins.privacy_router.warp.wgcf_config;
  if (file) return nodeDepsForProfile(ctx, file);
  return nodeDepsForAccount(ctx, (await ensureWarpAccount(ctx)).account);
}

/** `init` for the WARP hop: account, then node apply. Returns what changed. */
export async function applyWarp(ctx: WarpContext): Promise<string[]> {
  return applyWarpNode(await warpNodeDeps(ctx));
}

/** `privroute rotate warp` / the daemon's cron job. */
export async function rotateWarpFromConfig(ctx: WarpContext): Promise<RotateWarpResult> {
  if (ctx.config.plugins.privacy_router.warp.wgcf_config) {
    throw new InputError({ path: `${W}.wgcf_config`, value: ctx.config.plugins.privacy_router.warp.wgcf_config, expected: 'null to rotate: an imported wgcf profile has no API token privroute could rotate with' });
  }
  const license = await readLicense(ctx.config);
  const api = warpApi(ctx);
  try {
    if (!activeAccount(ctx.store)) throw new OperationError('warp-rotate', 'there is no WARP device to rotate yet', { hint: 'run privroute init first' });
    return await rotateWarp({
      api,
      store: ctx.store,
      license,
      logger: ctx.logger,
      swap: async (acc) => {
        await applyWarpNode(await nodeDepsForAccount(ctx, acc));
      },
    });
  } finally {
    api.close();
  }
}

/** What `status` shows for the WARP hop. No secrets. */
export interface WarpStatus {
  /** Where the tunnel's identity comes from; `none` = no device registered yet. */
  source: 'api' | 'wgcf-profile' | 'none';
  deviceId: string | null;
  accountType: string | null;
  address4: string | null;
  endpoint: string | null;
  /** Reserved bytes and whether they are applied (they are not, on wireguard-go: said plainly). */
  reserved: ReservedBytes | null;
  handshake: HandshakeHealth;
  trace: TraceHealth;
  /** The node firewall of the hop: every rule of ours present, none behind a foreign rule that can end a packet's walk. */
  firewall: { ok: boolean; detail: string; drift: string[] };
  ok: boolean;
}

/** Status of the WARP hop: identity (read from the store, never registering) plus both health checks. */
export async function warpStatusFromConfig(ctx: WarpContext, traceUrl?: string): Promise<WarpStatus> {
  const w = ctx.config.plugins.privacy_router.warp;
  let model: WarpTunnelModel | null = null;
  let source: WarpStatus['source'] = 'none';
  let deps: WarpNodeDeps | null = null;
  if (w.wgcf_config) {
    deps = await nodeDepsForProfile(ctx, w.wgcf_config);
    source = 'wgcf-profile';
  } else {
    const a = activeAccount(ctx.store);
    if (a) {
      deps = await nodeDepsForAccount(ctx, a);
      source = 'api';
    }
  }
  model = deps?.spec.model ?? null;
  const h = await warpHealthFromConfig(ctx, traceUrl);
  const firewall = deps ? await firewallDrift(deps) : { ok: false, drift: [], detail: 'no WARP device: the node firewall is not set up yet' };
  return {
    source,
    deviceId: model?.deviceId ?? null,
    accountType: model?.accountType ?? null,
    address4: model?.address4 ?? null,
    endpoint: model?.peer.endpoint ?? null,
    reserved: model?.reserved ?? null,
    handshake: h.handshake,
    trace: h.trace,
    firewall,
    ok: h.ok && firewall.ok,
  };
}

/**
 * Rule-position drift of the hop's node firewall (read-only): missing rules, or
 * ours behind a foreign one. The guard's rules, and the tunnel port's (closed to
 * all but the edge at the address the endpoint resolves to now).
 */
async function firewallDrift(d: WarpNodeDeps): Promise<WarpStatus['firewall']> {
  const endpoint = await (d.resolve ?? resolveEndpoint)(d.spec.model.peer.endpoint);
  const drift: string[] = [];
  let n = 0;
  for (const want of [warpGuardNet(d.spec), warpSocketNet(d.spec.listenPort, endpoint)]) {
    drift.push(...netDrift(want, await observeNet(d.exec, want)));
    n += want.rules?.length ?? 0;
  }
  return { ok: drift.length === 0, drift, detail: drift.length ? `node firewall drift: ${drift.join('; ')}` : `node firewall: ${n} rule(s) in place, first in their chains` };
}

/** Health of the WARP hop (for `status` and the daemon). */
export function warpHealthFromConfig(ctx: WarpContext, traceUrl?: string): ReturnType<typeof warpHealth> {
  const w = ctx.config.plugins.privacy_router.warp;
  return warpHealth(ctx.exec ?? nodeExec(ctx.config.plugins.privacy_router.runtime), warpWg(ctx), { tunnel: w.tunnel_interface, traceUrl });
}
