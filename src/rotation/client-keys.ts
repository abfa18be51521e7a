/**
 * Client key rotation: a client gets a new key pair and a new preshared key,
 * keeps its name and addresses, and the gateway's peer is swapped in ONE device
 * change (new peer with the client's allowed IPs upserted and the old peer
 * removed in the same UAPI set), so the old key stops working at once and no
 * other client is touched. The store is updated first and restored if the
 * device refuses; an unreachable device defers the swap to `init`'s peer sync
 * (the old peer is then stale there and removed by it).
 */
import type { ClientRecord } from '../tunnel/client-repo.js';
import { peerOf, type ApplyOutcome, type ClientService } from '../tunnel/clients.js';
import { DeviceUnreachableError } from '../tunnel/device/model.js';
import { generateClientKeys } from '../tunnel/keys.js';
import { finishRotation, startRotation } from '../state/rotations.js';

/** Outcome of one client's rotation. Holds the new config (secret): print it, never log it. */
export interface ClientKeyRotation {
  name: string;
  address4: string;
  address6: string | null;
  oldPublicKey: string;
  publicKey: string;
  applied: ApplyOutcome;
  warning?: string;
  rotationId: number;
  configText: string;
}

/** When `name`'s keys were issued and their lifetime (seconds, or null). Read-only. */
export interface KeyAge {
  keysAt: string;
  lifetimeS: number | null;
}

/** Key age of every client by name. Read-only. */
export function keyAges(svc: ClientService): Map<string, KeyAge> {
  const rows = svc.store.db.prepare('SELECT name, COALESCE(keys_at, created_at) AS keys_at, key_lifetime_s FROM clients').all() as { name: string; keys_at: string; key_lifetime_s: number | null }[];
  return new Map(rows.map((r) => [r.name, { keysAt: r.keys_at, lifetimeS: r.key_lifetime_s }]));
}

/** Is a key of age `a` due for rotation at `now`? Pure. */
export function keyDue(a: KeyAge | undefined, now: Date): boolean {
  return !!a && a.lifetimeS !== null && Date.parse(a.keysAt) + a.lifetimeS * 1000 <= now.getTime();
}

/** Set (or clear with null) `name`'s key lifetime. Side effect: one UPDATE. */
export function setKeyLifetime(svc: ClientService, name: string, lifetimeS: number | null): void {
  svc.store.db.prepare('UPDATE clients SET key_lifetime_s = ? WHERE name = ?').run(lifetimeS, name);
}

function writeKeys(svc: ClientService, c: Pick<ClientRecord, 'name' | 'publicKey' | 'privateKey' | 'presharedKey'>, keysAt: string | null): void {
  svc.store.db
    .prepare('UPDATE clients SET public_key = ?, private_key = ?, preshared_key = ?, keys_at = ? WHERE name = ?')
    .run(c.publicKey, c.privateKey, c.presharedKey, keysAt, c.name);
}

/**
 * Rotate `name`'s keys (see the module comment). InputError for an unknown
 * client (nothing changed); a device that refuses the swap restores the old
 * keys and rethrows. Logged in the rotation log (kind `client`, subject = name).
 */
export async function rotateClientKeys(svc: ClientService, name: string, now: () => Date = () => new Date()): Promise<ClientKeyRotation> {
  const old = svc.get(name);
  const oldAt = keyAges(svc).get(name)?.keysAt ?? null;
  const keys = await generateClientKeys();
  const rotationId = startRotation(svc.store, 'client', name);
  const next: ClientRecord = { ...old, ...keys };
  svc.store.tx(() => writeKeys(svc, next, now().toISOString()));
  // A disabled or expired client keeps no peer on the interface: only the old one is removed.
  const active = old.enabled && (old.expiresAt === null || old.expiresAt > now().toISOString());
  let applied: ApplyOutcome = 'applied';
  let warning: string | undefined;
  try {
    if (!svc.backend) throw new DeviceUnreachableError('(none)', 'no WireGuard interface is configured');
    await svc.backend.applyChanges({ upsert: active ? [peerOf(next)] : [], updatedKeys: [], remove: [old.publicKey], unchanged: 0 });
  } catch (e) {
    if (!(e instanceof DeviceUnreachableError)) {
      svc.store.tx(() => writeKeys(svc, old, oldAt));
      finishRotation(svc.store, rotationId, 'failed', `the device refused the peer swap: ${(e as Error).message.split('\n')[0]}`);
      throw e;
    }
    applied = 'deferred';
    warning = `the new keys are stored but not applied to the live interface (${e.message}); the next "privroute init" applies them, and the old key works until then`;
  }
  finishRotation(svc.store, rotationId, 'ok', JSON.stringify({ applied, oldPublicKey: old.publicKey, publicKey: next.publicKey }));
  return { name, address4: old.address4, address6: old.address6, oldPublicKey: old.publicKey, publicKey: next.publicKey, applied, ...(warning ? { warning } : {}), rotationId, configText: await svc.configOf(next) };
}
