/**
 * The WARP hop on the node as a runner component: observe → reconcile → apply,
 * through a HostExec (the node itself; in the lab the node namespace's NetnsExec)
 * and the tunnel's UAPI.
 *
 * apply is idempotent and safe to call repeatedly (the daemon does, so a
 * wireguard-go that died is restarted and its key, peer and default route are
 * put back). A changed device (rotation) is taken over in place: key + peer in
 * one UAPI set, new addresses added before stale ones are deleted.
 */
import { lookup } from 'node:dns/promises';
import type { Component } from '../core/runner.js';
import { OperationError, PreconditionError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { applyNet } from '../net/reconcile.js';
import { observeWarpNode, type EndpointResolver, type WarpNodeObserved, type WgControl } from './node-observe.js';
import { reconcileWarpNode, type WarpNodeChange } from './node-reconcile.js';
import type { WarpNodeSpec } from './node-spec.js';
import { splitHostPort } from './profile.js';
import { probeWarpPreconditions, requireWarpPreconditions } from './preconditions.js';
import { pollUntil } from '../core/poll.js';

/** What the component needs. `privateKey` is a secret: only ever sent over the UAPI socket. */
export interface WarpNodeDeps {
  exec: HostExec;
  wg: WgControl;
  spec: WarpNodeSpec;
  privateKey: string;
  resolve?: EndpointResolver;
  /** How long to wait for a started wireguard-go to open its UAPI socket. Default 5000 ms. */
  launchTimeoutMs?: number;
  /** Skip the /dev/net/tun + wireguard-go probe (already done by the caller). */
  skipPreconditions?: boolean;
}

/** Default resolver: literal IPs pass through; names resolve with the system resolver (IPv4 first). */
export const resolveEndpoint: EndpointResolver = async (endpoint) => {
  const { host, port } = splitHostPort(endpoint);
  if (/^[\d.]+$/.test(host)) return `${host}:${port ?? 2408}`;
  if (host.includes(':')) return `[${host}]:${port ?? 2408}`;
  const all = await lookup(host, { all: true }).catch((e: unknown) => {
    throw new OperationError('warp', `cannot resolve the WARP endpoint ${host}: ${(e as Error).message}`, { cause: e, hint: 'check DNS on the node, or import a profile with a literal endpoint address' });
  });
  const addr = all.find((x) => x.family === 4) ?? all[0];
  if (!addr) throw new OperationError('warp', `the WARP endpoint ${host} has no address`);
  return addr.family === 6 ? `[${addr.address}]:${port ?? 2408}` : `${addr.address}:${port ?? 2408}`;
};

/** Build the runner component of the WARP hop. */
export function warpNodeComponent(d: WarpNodeDeps): Component<WarpNodeObserved, WarpNodeChange> {
  return {
    name: 'warp',
    dependsOn: ['ovs'],
    async observe() {
      if (!d.skipPreconditions) requireWarpPreconditions(await probeWarpPreconditions(d.exec), d.exec.target);
      const o = await observeWarpNode(d.exec, d.wg, d.spec, d.resolve ?? resolveEndpoint);
      if (!o.warpIf) {
        throw new PreconditionError(
          `${d.spec.warpIf} does not exist on ${d.exec.target}`,
          `${d.spec.warpIf} is an OVS internal port on the bridge, created by the ovs component: run privroute init (or check plugins.privacy_router.warp.interface)`,
        );
      }
      return o;
    },
    plan: (o) => reconcileWarpNode(d.spec, o, d.privateKey),
    apply: (changes) => applyWarpChanges(d, changes),
  };
}

/** Run the changes in order; stop at the first failure (what ran before it was the fail-closed part). */
export async function applyWarpChanges(d: WarpNodeDeps, changes: readonly WarpNodeChange[]): Promise<void> {
  for (const c of changes) {
    try {
      if (c.kind === 'net') await applyNet(d.exec, [c]);
      else if (c.kind === 'launch-tunnel') await launchTunnel(d, c.argv);
      else {
        await d.wg.set({
          privateKey: d.privateKey,
          listenPort: d.spec.listenPort,
          replacePeers: true,
          peers: [{ kind: 'upsert', peer: { publicKey: c.peer, endpoint: c.endpoint, allowedIps: d.spec.model.peer.allowedIps, persistentKeepalive: d.spec.model.peer.persistentKeepalive } }],
        });
      }
    } catch (e) {
      throw new OperationError('warp', `${c.describe}: ${(e as Error).message}`, { cause: e, hint: 'the firewall and blackhole steps run first, so chain traffic stays dropped; fix the cause and run privroute init again' });
    }
  }
}

async function launchTunnel(d: WarpNodeDeps, argv: string[]): Promise<void> {
  // Without -f wireguard-go daemonizes (stdio to /dev/null), so run() returns once it is up.
  await d.exec.run(argv);
  await pollUntil(() => d.wg.alive(), { timeoutMs: d.launchTimeoutMs ?? 5000, failFast: true, onTimeout: () => new Error(`wireguard-go ${d.spec.tunnel} did not open its UAPI socket`) });
}

/** The changes apply would make, described (for `plan`). */
export async function planWarpNode(d: WarpNodeDeps): Promise<WarpNodeChange[]> {
  const c = warpNodeComponent(d);
  return c.plan(await c.observe()) as WarpNodeChange[];
}

/** Observe, reconcile, apply; returns the descriptions of what was changed ([] = already converged). */
export async function applyWarpNode(d: WarpNodeDeps): Promise<string[]> {
  const c = warpNodeComponent(d);
  const changes = c.plan(await c.observe());
  await c.apply(changes);
  return changes.map((x) => x.describe);
}
