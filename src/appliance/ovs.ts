/**
 * The `ovs` component: the bridge (OpenFlow 1.3, datapath and fail_mode from
 * config) and privroute's internal ports with their pinned MACs, through native
 * OVSDB transactions (src/ovs/ovsdb). Stale owned ports are removed; ports
 * privroute does not own are never touched.
 */
import type { Change, Component } from '../core/runner.js';
import { withOvsdb, type OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { observeSwitch, type ObservedSwitch } from '../ovs/ovsdb/state.js';
import { planBridge, planPorts, type DesiredBridge, type DesiredPort } from '../ovs/ovsdb/plan.js';
import { ensureBridge, ensurePorts } from '../ovs/ovsdb/bridge.js';
import type { ApplianceContext } from './context.js';

/** The bridge privroute wants. */
export function desiredBridge(ctx: ApplianceContext): DesiredBridge {
  const r = ctx.config.plugins.privacy_router;
  return { name: r.bridge_name, datapath_type: r.ovs.datapath_type, fail_mode: r.ovs.fail_mode, protocols: ['OpenFlow13', 'OpenFlow14'] };
}

/** The internal ports privroute wants on it: every port of the address plan, MAC pinned. */
export function desiredPorts(ctx: ApplianceContext): DesiredPort[] {
  return ctx.topology.ports.map((p) => ({ name: p.name, type: 'internal' as const, mac: p.mac }));
}

/** With OVSDB, a change is the description; apply re-plans inside a guarded transaction. */
export function ovsComponent(ctx: ApplianceContext): Component<ObservedSwitch, Change> {
  const endpoint = ctx.config.plugins.privacy_router.ovs.db;
  const withClient = <T>(fn: (c: OvsdbClient) => Promise<T>): Promise<T> => withOvsdb(endpoint, fn);
  return {
    name: 'ovs',
    observe: () => withClient((c) => observeSwitch(c)),
    plan: (s) => {
      const b = planBridge(desiredBridge(ctx), s);
      // Ports are planned against the bridge as it will be: when the bridge itself is
      // missing, "add bridge" implies its ports.
      const p = !s.bridges.has(desiredBridge(ctx).name) ? { changes: desiredPorts(ctx).map((d) => `add port ${d.name}`) } : planPorts(desiredBridge(ctx).name, desiredPorts(ctx), s);
      return [...b.changes, ...p.changes].map((describe) => ({ describe }));
    },
    apply: () =>
      withClient(async (c) => {
        await ensureBridge(c, desiredBridge(ctx));
        await ensurePorts(c, desiredBridge(ctx).name, desiredPorts(ctx));
      }),
  };
}
