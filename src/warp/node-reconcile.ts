/**
 * Reconcile the WARP hop (pure): desired spec + observed state -> ordered changes.
 *
 * The order is the fail-closed order: the guard (firewall scoped to warp0 and the
 * tunnel, the policy rule and its blackhole, warp0), and only then the tunnel,
 * its key and peer, its address and default route, and forwarding. The node's
 * networking changes are planned by the one net reconciler (src/net) from the
 * state this hop emits; this module adds only the tunnel's own steps between
 * the two halves. Nothing is flushed; adds come before deletes.
 */
import type { Change } from '../core/runner.js';
import { planNet, type NetChange } from '../net/reconcile.js';
import { warpGuardNet, warpPathNet, warpSocketNet, type WarpNodeSpec } from './node-spec.js';
import type { WarpNodeObserved } from './node-observe.js';
import { publicKeyOf } from './keys.js';

/** One change. `uapi` changes carry no key: apply builds the op from the secret it holds. */
export type WarpNodeChange = Change &
  (
    | ({ kind: 'net' } & NetChange)
    | { kind: 'launch-tunnel'; argv: string[] }
    | { kind: 'uapi'; peer: string; endpoint: string }
  );

/** True when the tunnel's UAPI state already is what the spec asks for. */
export function uapiConverged(spec: WarpNodeSpec, o: WarpNodeObserved, privateKey: string): boolean {
  const u = o.uapi;
  // Compare by public key: wireguard-go clamps the private key it is given and reports the clamped form.
  if (!u || !u.privateKey || publicKeyOf(u.privateKey) !== publicKeyOf(privateKey) || u.peers.length !== 1) return false;
  const p = u.peers[0]!;
  const want = new Set(spec.model.peer.allowedIps);
  return (
    u.listenPort === spec.listenPort &&
    p.publicKey === spec.model.peer.publicKey &&
    p.endpoint === o.endpoint &&
    p.allowedIps.length === want.size &&
    p.allowedIps.every((a) => want.has(a)) &&
    (p.persistentKeepalive ?? 0) === spec.model.peer.persistentKeepalive
  );
}

const net = (c: NetChange): WarpNodeChange => ({ kind: 'net', ...c });

/** desired + observed -> changes (pure). `privateKey` is only compared, never copied into a change. */
export function reconcileWarpNode(spec: WarpNodeSpec, o: WarpNodeObserved, privateKey: string): WarpNodeChange[] {
  const ch: WarpNodeChange[] = planNet(warpGuardNet(spec), o.guard).map(net);
  // The tunnel's port is closed to all but the edge before wireguard-go binds it.
  ch.push(...planNet(warpSocketNet(spec.listenPort, o.endpoint), o.socket).map(net));
  // The tunnel: wireguard-go, then key + peer in one UAPI set.
  const relaunch = o.tunnel === null || o.uapi === null;
  if (relaunch) ch.push({ kind: 'launch-tunnel', describe: `start wireguard-go ${spec.tunnel}`, argv: ['wireguard-go', spec.tunnel] });
  if (relaunch || !uapiConverged(spec, o, privateKey)) {
    ch.push({ kind: 'uapi', describe: `set ${spec.tunnel} key, port ${spec.listenPort} + peer ${spec.model.peer.publicKey.slice(0, 8)}… endpoint ${o.endpoint}`, peer: spec.model.peer.publicKey, endpoint: o.endpoint });
  }
  // A relaunched TUN comes up bare: its link settings and the route through it are planned as absent.
  ch.push(...planNet(warpPathNet(spec), o.path, { fresh: relaunch ? [spec.tunnel] : [] }).map(net));
  return ch;
}
