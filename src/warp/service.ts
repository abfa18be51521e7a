/**
 * Wiring of the WARP hop from the Config and the state store: the API client,
 * the node executor, the account (registered, or imported from a wgcf profile),
 * node apply, rotation and health. What the CLI (`init`, `rotate warp`,
 * `status`) and the daemon call.
 */
import { promises as fs } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { InputError, OperationError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { LocalExec } from '../host/local.js';
import { NetnsExec } from '../host/netns.js';
import type { StateStore } from '../state/store.js';
import { registerDevice, type RegisterResult } from './account.js';
import { activeAccount, updateAccount } from './account-store.js';
import { WarpApi } from './api.js';
import { warpHealth } from './health.js';
import type { WarpHttpOptions } from './http.js';
import { applyWarpNode, planWarpNode, type WarpNodeDeps } from './node.js';
import type { WarpNodeObserved, WgControl } from './node-observe.js';
import type { WarpNodeChange } from './node-reconcile.js';
import type { Component, Change } from '../core/runner.js';
import { warpNodeComponent } from './node.js';
import { warpNodeSpecFromConfig } from './node-spec.js';
import { parseWgcfProfile, tunnelModelFromDevice, tunnelModelFromProfile } from './profile.js';
import { rotateWarp, type RotateWarpResult } from './rotate.js';
import type { WarpAccountRecord } from './types.js';
import { UapiClient, WG_SOCKET_DIR } from './uapi.js';

const W = 'plugins.privacy_router.warp';

/** What the wiring needs; everything but config/store has a production default. */
export interface WarpContext {
  config: Config;
  store: StateStore;
  logger?: Logger;
  /** Node executor; default: runtime.node_netns ? NetnsExec : LocalExec. */
  exec?: HostExec;
  /** wireguard-go socket dir; default /var/run/wireguard. */
  wgSocketDir?: string;
  /** The tunnel's WireGuard control; default a UapiClient for warp.tunnel_interface (tests inject a fake). */
  wg?: WgControl;
  /** Transport overrides (tests: sleep, baseDelayMs). */
  http?: Partial<WarpHttpOptions>;
}

/** The executor for node-side commands. */
export function nodeExec(config: Config): HostExec {
  const ns = config.plugins.privacy_router.runtime.node_netns;
  return ns ? new NetnsExec(ns) : new LocalExec();
}

/** The API client for warp.api_base / warp.api_ca_file. Close it after use. */
export function warpApi(ctx: WarpContext): WarpApi {
  const w = ctx.config.plugins.privacy_router.warp;
  return new WarpApi({ baseUrl: w.api_base, caFile: w.api_ca_file, logger: ctx.logger, ...ctx.http });
}

/** The tunnel's UAPI control. */
export function warpWg(ctx: WarpContext): WgControl {
  if (ctx.wg) return ctx.wg;
  return new UapiClient(ctx.config.plugins.privacy_router.warp.tunnel_interface, ctx.wgSocketDir ?? WG_SOCKET_DIR);
}

/** The WARP+ license from warp.license_file, or null. InputError when unreadable or not license-shaped. */
export async function readLicense(config: Config): Promise<string | null> {
  const f = config.plugins.privacy_router.warp.license_file;
  if (!f) return null;
  let text: string;
  try {
    text = await fs.readFile(f, 'utf8');
  } catch (e) {
    throw new InputError({ path: `${W}.license_file`, value: f, expected: `a readable file holding the WARP+ key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  const lic = text.trim();
  if (!/^[A-Za-z0-9]{8}-[A-Za-z0-9]{8}-[A-Za-z0-9]{8}$/.test(lic)) {
    throw new InputError({ path: `${W}.license_file`, value: f, expected: 'a file with one WARP+ key of the form XXXXXXXX-XXXXXXXX-XXXXXXXX (1.1.1.1 app: Account > Key)' });
  }
  return lic;
}

/** True when the node has an IPv6 default route (then the v6 endpoint is used). */
export async function hostHasIpv6(exec: HostExec): Promise<boolean> {
  const r = await exec.run(['ip', '-6', '-j', 'route', 'show', 'default']);
  return (JSON.parse(r.stdout || '[]') as unknown[]).length > 0;
}

/** Node deps for a registered device. */
export async function nodeDepsForAccount(ctx: WarpContext, account: WarpAccountRecord): Promise<WarpNodeDeps> {
  const exec = ctx.exec ?? nodeExec(ctx.config);
  const model = tunnelModelFromDevice(account.device, { hostHasIpv6: await hostHasIpv6(exec), backend: 'wireguard-go' });
  return { exec, wg: warpWg(ctx), spec: warpNodeSpecFromConfig(ctx.config, model), privateKey: account.privateKey };
}

/** Node deps from an imported wgcf profile (warp.wgcf_config). */
export async function nodeDepsForProfile(ctx: WarpContext, file: string): Promise<WarpNodeDeps> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new InputError({ path: `${W}.wgcf_config`, value: file, expected: `a readable wgcf-profile.conf (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  const p = parseWgcfProfile(text, `${W}.wgcf_config`);
  const exec = ctx.exec ?? nodeExec(ctx.config);
  return { exec, wg: warpWg(ctx), spec: warpNodeSpecFromConfig(ctx.config, tunnelModelFromProfile(p, 'wireguard-go')), privateKey: p.privateKey };
}

/**
 * The active account, registering one (with the configured license) if there is
 * none. A rejected license is reported in the result; the free device is kept.
 */
export async function ensureWarpAccount(ctx: WarpContext): Promise<RegisterResult & { registered: boolean }> {
  const have = activeAccount(ctx.store);
  if (have) return { account: have, registered: false };
  const api = warpApi(ctx);
  try {
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

/** `plan` for the WARP hop (registers a device first if there is none: plan needs its addresses). */
export async function planWarp(ctx: WarpContext): Promise<WarpNodeChange[]> {
  return planWarpNode(await warpNodeDeps(ctx));
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

/** Refresh the stored device object from the API (e.g. the account type after a license change). */
export async function refreshWarpAccount(ctx: WarpContext): Promise<WarpAccountRecord | undefined> {
  const a = activeAccount(ctx.store);
  if (!a) return undefined;
  const api = warpApi(ctx);
  try {
    const device = await api.getDevice(a.deviceId, a.token);
    updateAccount(ctx.store, a.deviceId, { device, accountType: device.account.account_type ?? null });
    return activeAccount(ctx.store);
  } finally {
    api.close();
  }
}

/** Health of the WARP hop (for `status` and the daemon). */
export function warpHealthFromConfig(ctx: WarpContext, traceUrl?: string): ReturnType<typeof warpHealth> {
  const w = ctx.config.plugins.privacy_router.warp;
  return warpHealth(ctx.exec ?? nodeExec(ctx.config), warpWg(ctx), { tunnel: w.tunnel_interface, traceUrl });
}

/** Observed state of the whole WARP hop: no device yet, or the node state for the device. */
export type WarpObserved = { registered: false } | { registered: true; node: WarpNodeObserved };

/** A change of the WARP hop: register a device first, or a node change. */
export type WarpChange = (Change & { kind: 'register' }) | WarpNodeChange;

/**
 * The WARP hop as a runner component for `init`/`plan` (depends on `ovs`, which
 * creates warp0). observe is read-only: with no device yet it reports that a
 * registration is needed instead of registering (plan must not create accounts);
 * apply registers (license included) and then converges the node.
 */
export function warpComponent(ctx: WarpContext, dependsOn: string[] = ['ovs']): Component<WarpObserved, WarpChange> {
  let deps: WarpNodeDeps | undefined;
  const hasSource = (): boolean => !!ctx.config.plugins.privacy_router.warp.wgcf_config || !!activeAccount(ctx.store);
  return {
    name: 'warp',
    dependsOn,
    async observe() {
      if (!hasSource()) return { registered: false };
      deps = await warpNodeDeps(ctx);
      return { registered: true, node: await warpNodeComponent(deps).observe() };
    },
    reconcile(o) {
      if (!o.registered) return [{ kind: 'register', describe: `register a WARP device at ${ctx.config.plugins.privacy_router.warp.api_base}, then bring up warp0` }];
      return warpNodeComponent(deps!).reconcile(o.node);
    },
    async apply(changes) {
      if (changes.some((c) => c.kind === 'register')) {
        const r = await ensureWarpAccount(ctx);
        if (r.licenseError) ctx.logger?.warn({ err: r.licenseError }, 'WARP+ license rejected; the free account is used');
        await applyWarpNode(await warpNodeDeps(ctx));
        return;
      }
      await warpNodeComponent(deps!).apply(changes as WarpNodeChange[]);
    },
  };
}
