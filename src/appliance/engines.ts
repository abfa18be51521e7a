/**
 * The `engines` component wired to the config: on the pct runtime, what each chain
 * container must carry, fetched by the node (src/runtime/engines.ts). The netns runtime
 * shares the host's filesystem, so there is nothing to install there.
 *
 * - CT100 (gateway): wireguard-tools (`wg`, the control path through `pct exec`), iptables,
 *   and wireguard-go only where the node has no kernel WireGuard (no /sys/module/wireguard).
 * - CT101 (XRay client): iptables, curl (the SOCKS health probe) and the engine: the
 *   operator's Xray-core binary with its pinned SHA-256 (`runtime.xray_binary` /
 *   `runtime.xray_sha256`; what REALITY needs), else Debian's v2ray (vless-tls only).
 */
import type { Component } from '../core/runner.js';
import { enginesComponent, type EngineNeed } from '../runtime/engines.js';
import type { ApplianceContext } from './context.js';

/** The node's archive cache for the containers' packages. */
export const DEB_CACHE = '/var/cache/privroute/debs';

/** Whether the node has kernel WireGuard loaded (read-only). */
export async function nodeHasKernelWireguard(ctx: ApplianceContext): Promise<boolean> {
  return (await ctx.node.run(['test', '-d', '/sys/module/wireguard'], { okCodes: [0, 1] })).code === 0;
}

/** Pure: the needs, given whether the node has kernel WireGuard. */
export function engineNeeds(ctx: ApplianceContext, kernelWg: boolean): EngineNeed[] {
  const r = ctx.config.plugins.privacy_router;
  const out: EngineNeed[] = [];
  if (r.wireguard.enabled) out.push({ id: r.wireguard.container_id, packages: ['wireguard-tools', 'iptables', ...(kernelWg ? [] : ['wireguard-go'])] });
  if (r.xray.enabled) {
    const { xray_binary: bin, xray_sha256: sha } = r.runtime;
    out.push({
      id: r.xray.container_id,
      packages: ['iptables', 'curl', ...(bin ? [] : ['v2ray'])],
      binaries: bin && sha ? [{ source: bin, sha256: sha, dest: '/usr/local/bin/xray' }] : [],
    });
  }
  return out;
}

/** The component (pct runtime only; undefined on netns, where the host's programs are used). */
export function initEnginesComponent(ctx: ApplianceContext): Component | undefined {
  if (ctx.runtime.kind !== 'pct') return undefined;
  const host = {
    node: ctx.node,
    container: (id: number) => ctx.runtime.exec(id),
    workDir: `/run/privroute-engines-${process.pid}`,
    // PRIVROUTE_DEB_CACHE: where the lab pre-fetches (its node has no route to a mirror).
    debCache: process.env.PRIVROUTE_DEB_CACHE || DEB_CACHE,
  };
  return enginesComponent(host, async () => engineNeeds(ctx, await nodeHasKernelWireguard(ctx))) as Component;
}
