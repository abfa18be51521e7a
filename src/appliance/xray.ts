/**
 * The `xray` component: the VPS server provisioned over SSH (pinned host key)
 * and the XRay client in CT101, through src/xray's read-only plan and its
 * idempotent init. Depends on the sockets (CT101's socket carries its routes)
 * and on warp (CT101's egress leaves through warp0).
 */
import type { Change, Component } from '../core/runner.js';
import { initXray, planXray, vpsExecFromConfig, vpsLayout, clientLayout, type XrayContext, type XrayPlan } from '../xray/index.js';
import type { ApplianceContext } from './context.js';

/** The xray context for this run (opens no connection until used or `connect()`ed). */
export function xrayContext(ctx: ApplianceContext): XrayContext & { connect(): Promise<void>; close(): Promise<void> } {
  const r = ctx.config.plugins.privacy_router;
  const vps = vpsExecFromConfig(ctx.config);
  return {
    config: ctx.config,
    store: ctx.store,
    topology: ctx.topology,
    vps,
    container: ctx.runtime.exec(r.xray.container_id),
    vpsLayout: vpsLayout(r.vps.files_root),
    clientLayout: clientLayout(r.xray.files_root),
    connect: () => vps.connect(),
    close: () => vps.close(),
  };
}

/** Describe a plan's pending steps. */
export function xrayPlanChanges(p: XrayPlan): Change[] {
  const out: Change[] = p.vps.steps.filter((s) => s.outcome === 'changed').map((s) => ({ describe: `vps ${s.step}: ${s.detail ?? s.outcome}` }));
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
 * The component. One SSH connection per run: the VPS executor is shared by
 * observe and apply, opened by warmUp as the run starts (the VPS does not depend
 * on the node's components, so the handshake overlaps their observes) and
 * closed when the run ends.
 */
export function xrayComponent(ctx: ApplianceContext): Component<XrayPlan, Change> {
  let x: ReturnType<typeof xrayContext> | undefined;
  const context = () => (x ??= xrayContext(ctx));
  return {
    name: 'xray',
    dependsOn: ['sockets', 'warp'],
    warmUp() {
      // A failure here (bad key config, VPS unreachable) is reported by observe's own attempt.
      try {
        context().connect().catch(() => undefined);
      } catch {
        /* observe reports it */
      }
    },
    observe: () => planXray(context()),
    plan: xrayPlanChanges,
    async apply() {
      await initXray(context());
    },
    async close() {
      await x?.close();
      x = undefined;
    },
  };
}
