/**
 * The `sockets` component wired to the container runtime: every container
 * socket of the address plan is placed in its container with its address.
 * warp0, nm-privacy and the access port stay on the node (their owners configure them).
 */
import { socketsComponent, type SocketChange, type SocketHost, type SocketPlacement, type SocketsObserved } from '../runtime/sockets.js';
import type { Component } from '../core/runner.js';
import type { ApplianceContext } from './context.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { ensurePorts } from '../ovs/ovsdb/bridge.js';
import { desiredPorts } from './ovs.js';

/** Placements for the container sockets of the address plan. */
export function socketPlacements(ctx: ApplianceContext): SocketPlacement[] {
  const mtu = ctx.config.plugins.privacy_router.chain_network.mtu;
  return ctx.topology.ports
    .filter((p) => p.role === 'gateway' || p.role === 'xray' || p.role === 'privacy' || p.role === 'mesh')
    .map((p) => ({
      name: p.name,
      containerId: p.objectId,
      cidr: `${p.ip}/${p.prefixLen}`,
      cidr6: p.ip6 ? `${p.ip6}/${p.prefixLen6}` : undefined,
      mtu,
      mac: p.mac,
    }));
}

/** The runtime as the socket component sees it. */
export function socketHost(ctx: ApplianceContext): SocketHost {
  return {
    node: ctx.node,
    container: (id) => ctx.runtime.exec(id),
    netnsTarget: async (id) => {
      // `ip link set dev X netns <target>` takes a name under /run/netns or a pid.
      const p = await ctx.runtime.netnsPathOf(id);
      const m = /^\/run\/netns\/(.+)$/.exec(p) ?? /^\/proc\/(\d+)\/ns\/net$/.exec(p);
      if (!m) throw new Error(`unexpected netns path ${p} for CT ${id}`);
      return m[1]!;
    },
    recreate: async (name) => {
      // Two transactions: removed, then added again (one transaction that does both is a no-op for ovs-vswitchd).
      const r = ctx.config.plugins.privacy_router;
      const c = await OvsdbClient.connect(r.ovs.db);
      try {
        const ports = desiredPorts(ctx);
        await ensurePorts(c, r.bridge_name, ports.filter((p) => p.name !== name));
        await ensurePorts(c, r.bridge_name, ports);
      } finally {
        await c.close();
      }
    },
  };
}

/** The sockets component of the appliance. */
export function applianceSocketsComponent(ctx: ApplianceContext): Component<SocketsObserved, SocketChange> {
  return socketsComponent(socketHost(ctx), socketPlacements(ctx));
}
