/**
 * Which way management SSH to the VPS leaves the node (issue 11.16).
 *
 * Provisioning over SSH straight from the node tells the VPS provider where the
 * node is. Once the chain is up, privroute's SSH therefore leaves from CT101's
 * network namespace: CT101 → its socket → warp0 → the WARP tunnel, so the VPS's
 * sshd sees the WARP edge's address, like the engine's VLESS connection does.
 * The SSH session itself stays in this process (keys never enter the container):
 * only a TCP relay runs in CT101's namespace (`nsenter --net=`), on the node's
 * own filesystem.
 *
 * The very first provisioning cannot take that path: CT101's default route
 * through warp0 is installed by the xray hop itself. `plan` and `init` say which
 * path a run takes; there is no silent fallback from the chain to the direct
 * path once the chain is up (a broken chain fails the run and names the fix).
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { routeListArgv, type JsonRoute } from '../net/iproute.js';
import { linkShowArgv } from '../net/links.js';

/** The path management SSH takes this run. */
export type MgmtPath =
  | { kind: 'chain'; /** CT101's network namespace. */ netnsPath: string }
  | { kind: 'direct'; /** Why the chain is not usable yet. */ reason: string };

/** What the path decision reads (read-only). */
export interface MgmtPathObservation {
  ct101: 'running' | 'stopped' | 'missing';
  /** CT101 has a default route out of its socket (installed by the xray hop). */
  ct101DefaultRoute: boolean;
  /** The WARP tunnel interface exists and is up on the node. */
  warpTunnelUp: boolean;
  netnsPath: string | null;
}

/** Observe what decides the path (read-only: src/net's `ip` queries and the runtime's status). */
export async function observeMgmtPath(config: Config, node: HostExec, runtime: ContainerRuntime): Promise<MgmtPathObservation> {
  const r = config.plugins.privacy_router;
  const id = r.xray.container_id;
  const ct101 = await runtime.status(id);
  if (ct101 !== 'running') return { ct101, ct101DefaultRoute: false, warpTunnelUp: false, netnsPath: null };
  const [route, link, netnsPath] = await Promise.all([
    runtime.exec(id).run(routeListArgv(4, 'main'), { okCodes: [0, 1] }),
    node.run(linkShowArgv(r.warp.tunnel_interface), { okCodes: [0, 1] }),
    runtime.netnsPathOf(id),
  ]);
  const routes = (route.code === 0 ? parseJsonArray(route.stdout) : []) as JsonRoute[];
  const ct101DefaultRoute = routes.some((x) => x.dst === 'default' && x.dev === r.xray.socket_port && x.type !== 'blackhole' && x.type !== 'unreachable');
  return { ct101, ct101DefaultRoute, warpTunnelUp: link.code === 0 && isUp(link.stdout), netnsPath };
}

/** The path from an observation (pure). */
export function chooseMgmtPath(o: MgmtPathObservation): MgmtPath {
  if (o.ct101 !== 'running') return { kind: 'direct', reason: `CT101 is ${o.ct101}` };
  if (!o.warpTunnelUp) return { kind: 'direct', reason: 'the WARP tunnel is not up' };
  if (!o.ct101DefaultRoute || !o.netnsPath) return { kind: 'direct', reason: 'CT101 has no route through warp0 yet (first provisioning)' };
  return { kind: 'chain', netnsPath: o.netnsPath };
}

/** One line for `plan`/`init` (pure). */
export function describeMgmtPath(p: MgmtPath): string {
  return p.kind === 'chain'
    ? 'management SSH: through the chain (CT101 → warp0): the VPS sees the WARP edge'
    : `management SSH: direct from the node (${p.reason}); later runs go through the chain`;
}

function parseJsonArray(s: string): unknown[] {
  try {
    const v: unknown = JSON.parse(s || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function isUp(s: string): boolean {
  const [l] = parseJsonArray(s) as { flags?: string[]; operstate?: string }[];
  return !!l && (l.flags ?? []).includes('UP');
}
