/**
 * The appliance as components, in dependency order:
 *
 *   ovs ──► flows
 *    │
 *    ├──► warp ───────────────┐
 *    ▼                        ▼
 *   containers ─► sockets ─► gateway ─► gateway-peers
 *                            └──────► xray (VPS over SSH + CT101)
 *
 * `privroute init` applies them; `privroute plan` only observes and plans.
 */
import type { AnyComponent } from '../core/runner.js';
import { warpComponent } from '../warp/component.js';
import { containersComponent } from './containers.js';
import type { ApplianceContext } from './context.js';
import { flowsComponent } from './flows.js';
import { gatewayComponents } from './gateway.js';
import { ovsComponent } from './ovs.js';
import { applianceSocketsComponent } from './sockets.js';
import { xrayComponent } from './xray.js';

export { applianceContext, type ApplianceContext } from './context.js';

/** Every component the config enables. */
export function applianceComponents(ctx: ApplianceContext): AnyComponent[] {
  const r = ctx.config.plugins.privacy_router;
  const list: AnyComponent[] = [ovsComponent(ctx), containersComponent(ctx), applianceSocketsComponent(ctx)];
  if (r.openflow.enabled) list.push(flowsComponent(ctx));
  if (r.warp.enabled) list.push(warpComponent({ config: ctx.config, store: ctx.store, topology: ctx.topology, logger: ctx.logger, exec: ctx.node }));
  if (r.wireguard.enabled) list.push(...gatewayComponents(ctx));
  if (r.xray.enabled) {
    const x = xrayComponent(ctx);
    // Without WARP the XRay egress has no underlay dependency to wait for.
    list.push(r.warp.enabled ? x : { ...x, dependsOn: ['sockets'] });
  }
  return list;
}
