/**
 * The WARP hop as a runner component (src/core/runner.ts) for `init` and `plan`.
 */
import type { Component, Change } from '../core/runner.js';
import { activeAccount } from './account-store.js';
import { applyWarpNode, warpNodeComponent, type WarpNodeDeps } from './node.js';
import type { WarpNodeObserved } from './node-observe.js';
import type { WarpNodeChange } from './node-reconcile.js';
import { ensureWarpAccount, warpNodeDeps, type WarpContext } from './service.js';

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
    plan(o) {
      if (!o.registered) return [{ kind: 'register', describe: `register a WARP device at ${ctx.config.plugins.privacy_router.warp.api_base}, then bring up warp0` }];
      return warpNodeComponent(deps!).plan(o.node);
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
