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
  chooseMgmtPath, clientLayout, describeMgmtPath, initXray, observeMgmtPath, planXray, vpsExecFromConfig, vpsLayout,
  type MgmtPath, type XrayContext, type XrayPlan,
} from '../xray/index.js';
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
  if (!p.client) out.push({ describe: 'client: create the XRay identity and configure CT101' });
  else {
    if (p.client.configChanged) out.push({ describe: 'client: write the engine config' });
    if (p.client.certChanged) out.push({ describe: 'client: pin the VPS certificate' });
    if (!p.client.serviceActive) out.push({ describe: 'client: start the engine' });
    else if (p.client.loadedStale && !p.client.configChanged && !p.client.certChanged) out.push({ describe: 'client: restart the engine (it has not loaded the current config)' });
    for (const n of p.client.net) out.push({ describe: `client net: ${n.describe}` });
  }
  return out;
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
