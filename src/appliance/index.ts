/**
 * The appliance as components, in dependency order:
 *
 *   ovs ──► flows
 *    ├──► ingress (uplink UDP listen_port → CT100 only; wireguard.uplink set)
 *    │
 *    ├──► warp ───────────────┐
 *    ▼                        ▼
 *   containers ─► sockets ─► gateway ─► gateway-peers
 *        │      │            └──────► xray (VPS over SSH + CT101)
 *        │      └─► mesh (Netmaker join, nm-privacy, function DNAT; when netmaker.enabled)
 *        ├─► engines (pct: programs the node fetches for CT100/CT101) ─► gateway, xray
 *        └─► hookscript (pct: Proxmox calls `privroute hook` on start/stop)
 *   ovs ──► ovs-marks (ownership marks an `ifreload -a` cleared)
 *   ifupdown (pct: the bridge's ifupdown2 stanza, so ifreload keeps the ports)
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
import { initEnginesComponent } from './engines.js';
import { hookscriptComponent } from '../proxmox/hookscript.js';
import { ingressComponent } from './ingress.js';
import { desiredContainers } from './containers.js';
import { meshComponent } from '../mesh/component.js';
import { meshHostName } from '../mesh/preflight.js';
import { ovsMarksComponent } from '../proxmox/ovs-marks.js';
import { ifupdownComponent } from '../proxmox/ifupdown.js';

export { applianceContext, type ApplianceContext } from './context.js';

/** Every component the config enables. */
export function applianceComponents(ctx: ApplianceContext): AnyComponent[] {
  const r = ctx.config.plugins.privacy_router;
  const list: AnyComponent[] = [ovsComponent(ctx), containersComponent(ctx), applianceSocketsComponent(ctx)];
  if (r.openflow.enabled) list.push(flowsComponent(ctx));
  if (r.warp.enabled) list.push(warpComponent({ config: ctx.config, store: ctx.store, topology: ctx.topology, logger: ctx.logger, exec: ctx.node }));
  if (r.wireguard.enabled) list.push(...gatewayComponents(ctx));
  const ingress = ingressComponent(ctx);
  if (ingress) list.push(ingress as AnyComponent);
  if (r.xray.enabled) {
    const x = xrayComponent(ctx);
    // Without WARP the XRay egress has no underlay dependency to wait for.
    list.push(r.warp.enabled ? x : { ...x, dependsOn: ['sockets'] });
  }
  if (r.netmaker.enabled) {
    list.push(meshComponent({ config: ctx.config, topology: ctx.topology, node: ctx.node, container: (id) => ctx.runtime.exec(id), hostName: meshHostName(ctx.config) }));
  }
  const engines = initEnginesComponent(ctx);
  if (engines) {
    list.push(engines);
    // The hops run what the engines component installs.
    for (const [i, c] of list.entries()) if (c.name === 'gateway' || c.name === 'xray') list[i] = { ...c, dependsOn: [...(c.dependsOn ?? []), 'engines'] };
  }
  // After an `ifreload -a` cleared them (ifupdown2), privroute's ownership marks come back.
  list.push(ovsMarksComponent(r.ovs.db, r.bridge_name, ctx.topology.ports.map((p) => p.name), r.wireguard.access_port) as AnyComponent);
  if (ctx.runtime.kind === 'pct' && r.runtime.interfaces_file) {
    list.push(ifupdownComponent(ctx.node, r.runtime.interfaces_file, {
      bridge: r.bridge_name, ports: ctx.topology.ports.map((p) => p.name), accessPort: r.wireguard.access_port, failMode: r.ovs.fail_mode, datapath: r.ovs.datapath_type,
    }));
  }
  if (ctx.runtime.kind === 'pct' && ctx.hookTarget) list.push(hookscriptComponent(ctx.node, ctx.hookTarget, desiredContainers(ctx).map((s) => s.id)) as AnyComponent);
  return list;
}
