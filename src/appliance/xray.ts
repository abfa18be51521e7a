/**
 * The `xray` component: the VPS server provisioned over SSH (pinned host key)
 * and the XRay client in CT101, through src/xray's read-only plan and its
 * idempotent init. Depends on the sockets (CT101's socket carries its routes)
 * and on warp (CT101's egress leaves through warp0). Management SSH leaves
 * through the chain once it is up (src/xray/mgmt-path.ts); the path is decided
 * in observe, shown by `plan`, and the same path is used by apply.
 */
import type { Change, Component } from '../core/runner.js';
import {
  applyClient, chooseMgmtPath, clientDesiredFromConfig, clientLayout, describeMgmtPath, detectServiceManager, initXray, loadMaterial, observeMgmtPath, planClient, planXray,
  vpsExecFromConfig, vpsLayout, type ClientDesired, type ClientPlan, type MgmtPath, type XrayContext, type XrayPlan,
} from '../xray/index.js';
import { PreconditionError } from '../core/errors.js';
import type { ApplianceContext } from './context.js';

/** The management SSH path this run takes (read-only observation of CT101 and the WARP tunnel). */
export async function mgmtPathFor(ctx: ApplianceContext): Promise<MgmtPath> {
  return chooseMgmtPath(await observeMgmtPath(ctx.config, ctx.node, ctx.runtime));
}

/** The xray context for this run (opens no connection until used). */
export function xrayContext(ctx: ApplianceContext, path?: MgmtPath): XrayContext & { close(): Promise<void> } {
  const r = ctx.config.plugins.privacy_router;
  const vps = vpsExecFromConfig(ctx.config, path);
  return {
    config: ctx.config,
    store: ctx.store,
    topology: ctx.topology,
    vps,
    container: ctx.runtime.exec(r.xray.container_id),
    vpsLayout: vpsLayout(r.vps.files_root),
    clientLayout: clientLayout(r.xray.files_root),
    close: () => vps.close(),
  };
}

/** What the component observed: the xray plan and the SSH path it was read over. */
export interface XrayObserved {
  plan: XrayPlan;
  path: MgmtPath;
}

/** Describe a plan's pending steps (the management path first, when the VPS is to be changed). */
export function xrayPlanChanges(p: XrayPlan, path?: MgmtPath): Change[] {
  const out: Change[] = p.vps.steps.filter((s) => s.outcome === 'changed').map((s) => ({ describe: `vps ${s.step}: ${s.detail ?? s.outcome}` }));
  if (out.length && path) out.unshift({ describe: `vps ${describeMgmtPath(path)}` });
  return [...out, ...clientPlanChanges(p.client)];
}

/** Describe CT101's pending client steps (null: no identity yet). */
function clientPlanChanges(c: ClientPlan | null): Change[] {
  if (!c) return [{ describe: 'client: create the XRay identity and configure CT101' }];
  const out: Change[] = [];
  if (c.configChanged) out.push({ describe: 'client: write the engine config' });
  if (c.certChanged) out.push({ describe: 'client: pin the VPS certificate' });
  if (!c.serviceActive) out.push({ describe: 'client: start the engine' });
  else if (c.loadedStale && !c.configChanged && !c.certChanged) out.push({ describe: 'client: restart the engine (it has not loaded the current config)' });
  for (const n of c.net) out.push({ describe: `client net: ${n.describe}` });
  return out;
}

/**
 * CT101's XRay client alone, named `xray-client`: what the hookscript's post-start of CT101
 * needs (a restarted CT101 has a fresh network namespace: its engine and its netfilter/routes
 * come back). The VPS did not change with the container's restart, so it is not read (no SSH,
 * no management path). Needs the identity `init` stored; without it the hook cannot help
 * (PreconditionError: run init). Nothing is created here: the identity is only read.
 */
export function xrayClientComponent(ctx: ApplianceContext): Component<ClientPlan, Change> {
  const r = ctx.config.plugins.privacy_router;
  const container = ctx.runtime.exec(r.xray.container_id);
  const desired = async (): Promise<ClientDesired> => {
    const material = loadMaterial(ctx.store);
    if (!material) throw new PreconditionError('no XRay identity in the state store: init has not finished the xray hop', 'run `privroute init`');
    return clientDesiredFromConfig(ctx.config, ctx.topology, material, { service: await detectServiceManager(container), layout: clientLayout(r.xray.files_root) });
  };
  return {
    name: 'xray-client',
    dependsOn: ['sockets'],
    observe: async () => planClient(container, await desired()),
    plan: (c) => clientPlanChanges(c),
    apply: async () => void (await applyClient(container, await desired())),
  };
}

/**
 * The component. One SSH connection per run: observe opens it over the path it
 * chose, apply reuses it (same path), and the runner's `close` ends it. Nothing
 * connects before observe has chosen the path (an early connection could go
 * direct from the node while the chain is up), nor before the runner's ready(). A second observe (the runner
 * re-observes after an earlier apply) chooses again and reconnects.
 */
export function xrayComponent(ctx: ApplianceContext): Component<XrayObserved, Change> {
  let path: MgmtPath | undefined;
  let x: ReturnType<typeof xrayContext> | undefined;
  return {
    name: 'xray',
    dependsOn: ['sockets', 'warp'],
    async observe(run) {
      await x?.close();
      path = await mgmtPathFor(ctx);
      ctx.logger?.info({ path: path.kind }, describeMgmtPath(path));
      x = xrayContext(ctx, path);
      // CT101 is read at once; the SSH connection waits for ready(): the runner starts
      // observes early, and no connection leaves the node before warp/sockets converged.
      return { plan: await planXray(x, run ? () => run.ready() : undefined), path };
    },
    plan: (o) => xrayPlanChanges(o.plan, o.path),
    async apply() {
      x ??= xrayContext(ctx, path);
      await initXray(x);
    },
    async close() {
      await x?.close();
      x = undefined;
    },
  };
}
