/**
 * Observe the WARP hop on the node (read-only): the networking state its desired
 * state touches (through the net reconciler's observe), and the tunnel's UAPI
 * state. Parsed into {@link WarpNodeObserved}.
 */
import type { HostExec } from '../host/exec.js';
import type { LinkState } from '../net/links.js';
import { observeNet, type NetObserved } from '../net/reconcile.js';
import { warpGuardNet, warpPathNet, warpSocketNet, type WarpNodeSpec } from './node-spec.js';
import type { Device } from '../tunnel/device/model.js';
import type { UserspaceBackend } from '../tunnel/device/uapi-backend.js';

/**
 * The WireGuard control of the tunnel: the one device model's userspace backend
 * (src/tunnel/device: `get` as a {@link Device}, one atomic `set` request, `alive`),
 * or a fake in unit tests.
 */
export type WgControl = Pick<UserspaceBackend, 'get' | 'set' | 'alive'>;

/** What was found on the node. `uapi` holds the private key: never log this object. */
export interface WarpNodeObserved {
  /** The node's networking state for {@link warpGuardNet} (firewall, policy rule, blackhole, warp0). */
  guard: NetObserved;
  /** The same for {@link warpPathNet} (the tunnel's link and route, forwarding). */
  path: NetObserved;
  /** The same for {@link warpSocketNet} (the tunnel's port closed to all but the edge). */
  socket: NetObserved;
  /** warp0 and the tunnel as seen (null: missing). */
  warpIf: LinkState | null;
  tunnel: LinkState | null;
  uapi: Device | null;
  /** The peer endpoint as an `ip:port` the UAPI accepts. */
  endpoint: string;
}

/** Resolve a `host:port` endpoint to `ip:port`; literal addresses pass through. */
export type EndpointResolver = (endpoint: string) => Promise<string>;

/** Observe everything the reconcile needs. Runs only read-only commands. */
export async function observeWarpNode(exec: HostExec, wg: WgControl, spec: WarpNodeSpec, resolve: EndpointResolver): Promise<WarpNodeObserved> {
  const guard = await observeNet(exec, warpGuardNet(spec));
  const path = await observeNet(exec, warpPathNet(spec));
  const uapi = (await wg.alive()) ? await wg.get() : null;
  const endpoint = await resolve(spec.model.peer.endpoint);
  return {
    guard,
    path,
    socket: await observeNet(exec, warpSocketNet(spec.listenPort, endpoint)),
    warpIf: guard.links.get(spec.warpIf) ?? null,
    tunnel: path.links.get(spec.tunnel) ?? null,
    uapi,
    endpoint,
  };
}
