/**
 * The gateway as runner components for `privroute init` / `privroute plan`
 * (src/core/runner.ts): observe (read-only) → reconcile (pure) → apply.
 *
 * - `gateway-net`: CT100's interface address/MTU, policy routing, firewall and
 *   forwarding (gateway.ts). Needs the gateway socket in the container and, for
 *   the userspace backend, wireguard-go running (started by the orchestrator's
 *   supervisor with {@link wireguardGoCommand}); otherwise it fails with a
 *   PreconditionError naming the command.
 * - `gateway-peers`: the device's private key and listen port, and its peers =
 *   the store's enabled, unexpired clients (expired ones leave here too).
 *   A converged device yields no changes.
 */
import type { Change, Component } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import type { ClientService } from './clients.js';
import { ensureGatewayKeys } from './clients.js';
import { diffPeers, isNoop, type Device, type PeerChanges, type WgBackend } from './device/model.js';
import { applyGateway, observeGateway, planGateway, type GatewayChange, type GatewayDesired, type GatewayObserved } from './gateway.js';

export { wireguardGoCommand } from './gateway.js';

/** The `gateway-net` component over the gateway container's HostExec. */
export function gatewayNetComponent(exec: HostExec, desired: GatewayDesired, dependsOn: readonly string[] = []): Component<GatewayObserved, GatewayChange> {
  return {
    name: 'gateway-net',
    dependsOn,
    observe: () => observeGateway(exec, desired),
    reconcile: (o) => planGateway(desired, o),
    apply: (changes) => applyGateway(exec, changes),
  };
}

/** A change of the device: key, port, or a peer batch. */
export type PeerDeviceChange = Change & ({ kind: 'private-key' } | { kind: 'listen-port'; port: number } | { kind: 'peers'; changes: PeerChanges });

/** The `gateway-peers` component: device settings + peer sync from the store. */
export function gatewayPeersComponent(svc: ClientService, backend: WgBackend, dependsOn: readonly string[] = ['gateway-net']): Component<{ dev: Device; priv: string }, PeerDeviceChange> {
  return {
    name: 'gateway-peers',
    dependsOn,
    observe: async () => ({ dev: await backend.get(), priv: (await ensureGatewayKeys(svc.store)).privateKey }),
    reconcile: ({ dev, priv }) => {
      const out: PeerDeviceChange[] = [];
      if (dev.privateKey !== priv) out.push({ kind: 'private-key', describe: 'set the gateway private key' });
      if (dev.listenPort !== svc.wg.listen_port) out.push({ kind: 'listen-port', port: svc.wg.listen_port, describe: `listen port ${svc.wg.listen_port}` });
      const c = diffPeers(svc.desiredPeers(), dev.peers);
      if (!isNoop(c)) {
        const added = c.upsert.length - c.updatedKeys.length;
        out.push({ kind: 'peers', changes: c, describe: `peers: +${added} ~${c.updatedKeys.length} -${c.remove.length} (=${c.unchanged})` });
      }
      return out;
    },
    apply: async (changes) => {
      for (const ch of changes) {
        if (ch.kind === 'private-key') await backend.setPrivateKey((await ensureGatewayKeys(svc.store)).privateKey);
        else if (ch.kind === 'listen-port') await backend.setListenPort(ch.port);
        else await backend.applyChanges(ch.changes);
      }
    },
  };
}
