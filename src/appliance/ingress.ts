/**
 * The `ingress` component: the node forwards UDP for the uplink's own addresses
 * at wireguard.listen_port to CT100, and nothing else (src/tunnel/ingress.ts,
 * docs/ingress.md). Through the one network reconciler (src/net): observe
 * (read-only) → plan (pure) → apply (exactly the planned argv). Depends on `ovs`
 * (the ingress port must exist to carry its address and route).
 */
import type { Component } from '../core/runner.js';
import { applyNet, observeNet, planNet, type NetChange, type NetObserved } from '../net/reconcile.js';
import { ingressDesired, ingressNet } from '../tunnel/ingress.js';
import type { ApplianceContext } from './context.js';

/** The component, or undefined when the config has no ingress (no wireguard.uplink). */
export function ingressComponent(ctx: ApplianceContext): Component<NetObserved, NetChange> | undefined {
  const d = ingressDesired(ctx.config, ctx.topology);
  if (!d) return undefined;
  const net = ingressNet(d);
  return {
    name: 'ingress',
    dependsOn: ['ovs'],
    observe: () => observeNet(ctx.node, net),
    plan: (o) => planNet(net, o),
    apply: (changes) => applyNet(ctx.node, changes),
  };
}
