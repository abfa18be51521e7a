/**
 * The gateway as runner components for `privroute init` / `privroute plan`
 * (src/core/runner.ts): observe (read-only) → plan (pure) → apply (exactly the plan).
 *
 * - `gateway-net`: CT100's interface address/MTU, policy routing, firewall and
 *   forwarding (gateway.ts). Needs the gateway socket in the container and, for
 *   the userspace backend, wireguard-go running (started by the appliance's `gateway`
 *   component, src/appliance/gateway.ts); otherwise it fails with a
 *   PreconditionError naming the command ({@link wireguardGoCommand}).
 * - `gateway-peers`: the device's private key and listen port, and its peers =
 *   the store's enabled, unexpired clients (expired ones leave here too).
 *   A converged device yields no changes.
 */
import type { Change, Component } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import type { ClientService } from './clients.js';
import { ensureGatewayKeys, GATEWAY_KEY_SECRET } from './clients.js';
import { diffPeers, isNoop, type Device, type PeerChanges, type WgBackend } from './device/model.js';
import { applyGateway, observeGateway, planGateway, type GatewayChange, type GatewayDesired, type GatewayObserved } from './gateway.js';

export { wireguardGoCommand } from './gateway.js';

/** The `gateway-net` component over the gateway container's HostExec. */
export function gatewayNetComponent(exec: HostExec, desired: GatewayDesired, dependsOn: readonly string[] = []): Component<GatewayObserved, GatewayChange> {
  return {
    name: 'gateway-net',
    dependsOn,
    observe: () => observeGateway(exec, desired),
    plan: (o) => planGateway(desired, o),
    apply: (changes) => applyGateway(exec, changes),
  };
}

/** What `gateway-peers` observes: the live device and the stored gateway key (null = none yet). */
export interface GatewayPeersObserved {
  dev: Device;
  /** The gateway private key in the store; null before the first init (plan must not create it). */
  storedKey: string | null;
}

/** A change of the device: key (creating it in the store when there is none), port, or a peer batch. */
export type PeerDeviceChange = Change & ({ kind: 'private-key'; create: boolean } | { kind: 'listen-port'; port: number } | { kind: 'peers'; changes: PeerChanges });

/** Read-only: the device and the stored gateway key. Writes nothing (no key is generated here). */
export async function observeGatewayPeers(svc: ClientService, backend: WgBackend): Promise<GatewayPeersObserved> {
  return { dev: await backend.get(), storedKey: svc.store.getSecret(GATEWAY_KEY_SECRET) ?? null };
}

/** Desired (store + config) vs observed → the device changes. Pure apart from reading the store's client rows. */
export function planGatewayPeers(svc: ClientService, o: GatewayPeersObserved): PeerDeviceChange[] {
  const out: PeerDeviceChange[] = [];
  if (o.storedKey === null) out.push({ kind: 'private-key', create: true, describe: 'create the gateway key and set it' });
  else if (o.dev.privateKey !== o.storedKey) out.push({ kind: 'private-key', create: false, describe: 'set the gateway private key' });
  if (o.dev.listenPort !== svc.wg.listen_port) out.push({ kind: 'listen-port', port: svc.wg.listen_port, describe: `listen port ${svc.wg.listen_port}` });
  const c = diffPeers(svc.desiredPeers(), o.dev.peers);
  if (!isNoop(c)) {
    const added = c.upsert.length - c.updatedKeys.length;
    out.push({ kind: 'peers', changes: c, describe: `peers: +${added} ~${c.updatedKeys.length} -${c.remove.length} (=${c.unchanged})` });
  }
  return out;
}

/**
 * Apply exactly `changes` to the device (peer adds before removes, in one batch).
 * The only write to the store: the gateway key, when the plan said to create it.
 */
export async function applyGatewayPeers(svc: ClientService, backend: WgBackend, changes: readonly PeerDeviceChange[]): Promise<void> {
  for (const ch of changes) {
    if (ch.kind === 'private-key') await backend.setPrivateKey(ch.create ? (await ensureGatewayKeys(svc.store)).privateKey : svc.store.getSecret(GATEWAY_KEY_SECRET)!);
    else if (ch.kind === 'listen-port') await backend.setListenPort(ch.port);
    else await backend.applyChanges(ch.changes);
  }
}

/** The `gateway-peers` component: device settings + peer sync from the store. */
export function gatewayPeersComponent(svc: ClientService, backend: WgBackend, dependsOn: readonly string[] = ['gateway-net']): Component<GatewayPeersObserved, PeerDeviceChange> {
  return {
    name: 'gateway-peers',
    dependsOn,
    observe: () => observeGatewayPeers(svc, backend),
    plan: (o) => planGatewayPeers(svc, o),
    apply: (changes) => applyGatewayPeers(svc, backend, changes),
  };
}

/** What {@link syncGatewayPeers} did. */
export interface PeerSyncResult {
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: number;
  privateKeySet: boolean;
  listenPortSet: boolean;
}

/**
 * observe → plan → apply of `gateway-peers` in one call (the same three steps init
 * runs), summarised. A second call changes nothing. Throws DeviceUnreachableError
 * if the interface is absent.
 */
export async function syncGatewayPeers(svc: ClientService, backend: WgBackend): Promise<PeerSyncResult> {
  const changes = planGatewayPeers(svc, await observeGatewayPeers(svc, backend));
  await applyGatewayPeers(svc, backend, changes);
  const peers = changes.find((c) => c.kind === 'peers')?.changes;
  const updated = new Set(peers?.updatedKeys ?? []);
  return {
    added: (peers?.upsert ?? []).filter((p) => !updated.has(p.publicKey)).map((p) => p.publicKey),
    updated: [...updated],
    removed: peers?.remove ?? [],
    unchanged: peers?.unchanged ?? 0,
    privateKeySet: changes.some((c) => c.kind === 'private-key'),
    listenPortSet: changes.some((c) => c.kind === 'listen-port'),
  };
}
