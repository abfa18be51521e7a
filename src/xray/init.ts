/**
 * The whole hop for `privroute init` / `plan`: material from the state store,
 * both engines checked first (nothing is written on either end if either cannot
 * enforce the profile), then the VPS, then CT101.
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import type { StateStore } from '../state/store.js';
import { applyClient, clientDesiredFromConfig, planClient, type ClientLayout, type ClientPlan } from './client.js';
import { assertProfileSupported, detectEngine } from './engine.js';
import { cryptoRandom, newMaterial, type RandomSource } from './secrets.js';
import type { ServiceManagerKind } from './service/types.js';
import { ensureMaterial, loadMaterial } from './state.js';
import type { StepReport } from './types.js';
import { vpsDesiredFromConfig } from './vps/desired.js';
import type { VpsLayout } from './vps/layout.js';
import { provisionVps } from './vps/provision.js';
import { planVpsBatched, type VpsPlan } from './vps/plan.js';
import { Steps } from './vps/step.js';
import { detectServiceManager } from './service/detect.js';
import type { Topology } from '../topology/addressing.js';

/** Where and how (the CLI builds it: SshExec for the VPS, the runtime's exec for CT101). */
export interface XrayContext {
  config: Config;
  store: StateStore;
  /** The appliance's topology (src/topology): CT101's, warp0's and the gateway's addresses. */
  topology: Topology;
  /** The VPS (SshExec with the pinned host key). */
  vps: HostExec;
  /** CT101 (the container runtime's HostExec). */
  container: HostExec;
  /** Service managers; default: detected on each end (systemd if running, else process). */
  vpsService?: ServiceManagerKind;
  clientService?: ServiceManagerKind;
  /** Path overrides (lab). */
  vpsLayout?: VpsLayout;
  clientLayout?: ClientLayout;
  rand?: RandomSource;
}

/** What init did, per step, on both ends. */
export interface XrayInitReport {
  steps: StepReport[];
  unchanged: boolean;
}

/**
 * Provision the VPS and configure CT101; idempotent. Creates the identity
 * (state store) on first use. Rejects with an error naming host and step.
 */
export async function initXray(ctx: XrayContext): Promise<XrayInitReport> {
  const r = ctx.config.plugins.privacy_router;
  const cli = new Steps(ctx.container.target, 'client');
  // The client's engine first: its version is the REALITY minClientVer, and a
  // refusal here must come before anything is written on the VPS.
  const clientEngine = await cli.run('capability', async () => {
    const e = await detectEngine(ctx.container);
    if (!e) throw new Error('no proxy engine in the container (neither xray nor v2ray answers); install one in the XRay container');
    assertProfileSupported(e, r.xray.profile, ctx.container.target);
    return e;
  });
  const clientService = ctx.clientService ?? (await cli.run('service', () => detectServiceManager(ctx.container)));
  const vpsService = ctx.vpsService ?? (await new Steps(ctx.vps.target, 'vps').run('service', () => detectServiceManager(ctx.vps)));
  const material = ensureMaterial(ctx.store, r.xray.vps_address, ctx.rand ?? cryptoRandom);
  const vps = await provisionVps(ctx.vps, vpsDesiredFromConfig(ctx.config, material, { service: vpsService, layout: ctx.vpsLayout, clientEngine }));
  const client = await applyClient(ctx.container, clientDesiredFromConfig(ctx.config, ctx.topology, material, { service: clientService, layout: ctx.clientLayout }));
  const steps = [...vps.steps, ...client.steps];
  return { steps, unchanged: steps.every((s) => s.outcome !== 'changed') };
}

/** What init would change on both ends. */
export interface XrayPlan {
  vps: VpsPlan;
  /** null when the identity does not exist yet (init creates it: everything would change). */
  client: ClientPlan | null;
}

/**
 * Read-only: what {@link initXray} would change (no identity is created, nothing
 * is written; without an identity a throwaway one is used only to compare files).
 * The VPS is read in ONE round trip (every predicted probe batched: src/host/batch.ts);
 * the observers then run on that snapshot. CT101 and the VPS are read concurrently
 * (issue 16); `beforeVps` is awaited before the VPS is first touched (the runner's
 * ready(): no connection leaves the node before the hops it depends on converged).
 */
export async function planXray(ctx: XrayContext, beforeVps?: () => Promise<void>): Promise<XrayPlan> {
  const r = ctx.config.plugins.privacy_router;
  const stored = loadMaterial(ctx.store);
  const material = stored ?? newMaterial({ vpsAddress: r.xray.vps_address, rand: ctx.rand ?? cryptoRandom });
  const local = Promise.all([detectEngine(ctx.container), ctx.clientService ?? detectServiceManager(ctx.container)] as const);
  const vpsSide = (async () => {
    await beforeVps?.();
    const [clientEngine] = await local;
    return (await planVpsBatched(ctx.vps, (service) => vpsDesiredFromConfig(ctx.config, material, { service, layout: ctx.vpsLayout, clientEngine }), ctx.vpsService)).plan;
  })();
  const clientSide = (async () => {
    const [clientEngine, clientService] = await local;
    if (!stored) return null;
    const d = clientDesiredFromConfig(ctx.config, ctx.topology, stored, { service: clientService, layout: ctx.clientLayout });
    // The engine detected above answers the same probes when no binary is configured.
    return planClient(ctx.container, d, d.engineBinary ? undefined : clientEngine);
  })();
  // Both sides settle before this returns or throws: nothing keeps reading behind the caller's back.
  const [vps, client] = await Promise.allSettled([vpsSide, clientSide]);
  if (vps.status === 'rejected') throw vps.reason;
  if (client.status === 'rejected') throw client.reason;
  return { vps: vps.value, client: client.value };
}
