/**
 * The client service behind add/list/show/revoke/disable/enable-client, the
 * daemon's expiry sweep, and the desired peer set init's `gateway-peers`
 * component (components.ts) reconciles the device to.
 *
 * The store is the source of truth; the live interface is made to follow it one
 * peer at a time (a UAPI set naming only that peer, `remove=true` to remove), so
 * other clients' sessions are never disturbed and nothing restarts.
 *
 * Unreachable interface (no init yet, gateway down): mutations still commit to the
 * store and report `applied: 'deferred'` with a warning; the next `privroute init`
 * (its gateway-peers component) applies them. A device that is reachable but rejects the change is
 * an error, and add-client then rolls its row back: nothing is half-applied.
 */
import type { Config, WireguardConfig } from '../config/types.js';
import { InputError } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import * as repo from './client-repo.js';
import type { ClientRecord } from './client-repo.js';
import { DeviceUnreachableError, type PeerSpec, type WgBackend } from './device/model.js';
import { addressSpace, allocate, gatewayAddresses, type AddressSpace } from './ipam.js';
import { generateClientKeys, generateKeyPair, publicKeyOf, type KeyPair } from './keys.js';
import { renderClientConfig } from './render.js';
import { resolveEndpoint } from './endpoint.js';
import { nodeExec } from '../host/node.js';
import { parseDnsList, parseExpires, validateClientName } from './validate.js';

/** Secret name of the gateway's private key (zero-config: generated once, kept). */
export const GATEWAY_KEY_SECRET = 'wireguard.gateway.private_key';

/** Whether a change reached the live interface. */
export type ApplyOutcome = 'applied' | 'deferred' | 'not-needed';

/** Result of a mutation. `warning` is set when the change was deferred. */
export interface MutationResult {
  name: string;
  applied: ApplyOutcome;
  warning?: string;
}

/** add-client's result: the stored client (secrets included) and its config text. */
export interface AddResult extends MutationResult {
  client: ClientRecord;
  configText: string;
}

/** A client as list/show present it (no secrets). */
export interface ClientView {
  name: string;
  address4: string;
  address6: string | null;
  publicKey: string;
  createdAt: string;
  expiresAt: string | null;
  enabled: boolean;
  expired: boolean;
  /** On the live interface? null when the interface was not reachable. */
  live: boolean | null;
  lastHandshake: string | null;
  rxBytes: number | null;
  txBytes: number | null;
  /** The endpoint the client was last handed (add-client / show-client); null before this was recorded. */
  endpoint?: string | null;
}

/** add-client options (raw CLI strings; validated here). */
export interface AddOptions {
  expires?: string;
  dns?: string;
}

const CFG = 'plugins.privacy_router.wireguard';

/** The peer the gateway holds for a client. */
export function peerOf(c: ClientRecord): PeerSpec {
  return {
    publicKey: c.publicKey,
    presharedKey: c.presharedKey,
    allowedIps: [`${c.address4}/32`, ...(c.address6 ? [`${c.address6}/128`] : [])],
  };
}

/**
 * Get (or create, once, atomically across processes) the gateway's key pair.
 * Only generates a key when none is stored, so the hot path costs one SELECT.
 */
export async function ensureGatewayKeys(store: StateStore): Promise<KeyPair> {
  let priv = store.getSecret(GATEWAY_KEY_SECRET);
  if (priv === undefined) {
    const fresh = await generateKeyPair();
    // Two racing processes: ensureSecret keeps the first writer's key for both.
    priv = store.ensureSecret(GATEWAY_KEY_SECRET, () => fresh.privateKey);
  }
  return { privateKey: priv, publicKey: gatewayPublicKey(priv) };
}

// publicKeyOf costs ~0.8 ms (DER key import); the gateway key is read on every add.
let pubMemo: { priv: string; pub: string } | undefined;
function gatewayPublicKey(priv: string): string {
  if (pubMemo?.priv !== priv) pubMemo = { priv, pub: publicKeyOf(priv) };
  return pubMemo.pub;
}

/** Client operations over one store, one config and (optionally) the live device. */
export class ClientService {
  readonly wg: WireguardConfig;
  readonly space: AddressSpace;
  private readonly now: () => Date;

  constructor(
    readonly store: StateStore,
    config: Config,
    /** The live interface, or null when none is configured/known. */
    readonly backend: WgBackend | null,
    opts: { now?: () => Date; endpoint?: () => Promise<string> } = {},
  ) {
    this.wg = config.plugins.privacy_router.wireguard;
    this.space = addressSpace(this.wg.subnet, this.wg.subnet6);
    this.now = opts.now ?? (() => new Date());
    // `auto` reads the node's uplink (read-only) each time a config is rendered: the endpoint in force.
    this.resolveEndpoint = opts.endpoint ?? (() => resolveEndpoint(config, nodeExec(config.plugins.privacy_router.runtime)));
  }

  private readonly resolveEndpoint: () => Promise<string>;

  /** DNS written into a client config: per-client, else config, else the gateway's tunnel address. */
  dnsFor(c: Pick<ClientRecord, 'dns'>): string[] {
    if (c.dns?.length) return c.dns;
    if (this.wg.dns.length) return [...this.wg.dns];
    return [gatewayAddresses(this.space).ip4];
  }

  /**
   * Render the wg-quick config of a stored client with the endpoint in force, and
   * record that endpoint as the one this client holds (list-clients flags a
   * client whose endpoint is no longer in force). Throws InputError without an endpoint.
   */
  async configOf(c: ClientRecord): Promise<string> {
    const endpoint = await this.endpoint();
    if (c.endpoint !== endpoint) this.store.tx(() => repo.setEndpoint(this.store.db, c.name, endpoint));
    const gw = await ensureGatewayKeys(this.store);
    return renderClientConfig({
      privateKey: c.privateKey,
      address4: c.address4,
      address6: c.address6,
      dns: this.dnsFor(c),
      mtu: this.wg.mtu,
      serverPublicKey: gw.publicKey,
      presharedKey: c.presharedKey,
      endpoint,
      persistentKeepalive: this.wg.persistent_keepalive,
    });
  }

  /** The endpoint clients are handed now (`auto` resolved). InputError when there is none. */
  endpoint(): Promise<string> {
    return this.resolveEndpoint();
  }

  /**
   * Add a client: validate everything, generate keys, allocate the lowest free
   * address and insert in one IMMEDIATE transaction, then apply just this peer.
   * Duplicate name, bad name/expiry/DNS, missing endpoint: InputError, no change.
   */
  async add(name: string, opts: AddOptions = {}): Promise<AddResult> {
    if (!this.wg.enabled) throw new InputError({ path: `${CFG}.enabled`, value: false, expected: 'true: clients need the WireGuard gateway enabled' });
    validateClientName(name);
    const expiresAt = opts.expires !== undefined ? parseExpires(opts.expires, this.now()) : null;
    const dns = opts.dns !== undefined ? parseDnsList(opts.dns) : null;
    await this.endpoint();
    const keys = await generateClientKeys();
    await ensureGatewayKeys(this.store);
    const client = this.store.tx(() => {
      if (repo.getClient(this.store.db, name)) {
        throw new InputError({ path: 'NAME', value: name, expected: 'a name not already used (privroute list-clients shows them; revoke-client frees one)' });
      }
      const a = allocate(this.store.db, this.space);
      const rec: ClientRecord = {
        name,
        address4: a.address4,
        address6: a.address6,
        hostIndex: a.host,
        ...keys,
        dns,
        createdAt: this.now().toISOString(),
        expiresAt,
        enabled: true,
      };
      repo.insertClient(this.store.db, rec);
      return rec;
    });
    let outcome: { applied: ApplyOutcome; warning?: string };
    try {
      outcome = await this.live((b) => b.setPeer(peerOf(client)));
    } catch (e) {
      // The device refused: undo the row so the store and the interface agree.
      this.store.tx(() => repo.deleteClient(this.store.db, name));
      throw e;
    }
    return { name, client, configText: await this.configOf(client), ...outcome };
  }

  /** Run a live change; an unreachable device defers it (to init's sync) with a warning. */
  private async live(fn: (b: WgBackend) => Promise<void>): Promise<{ applied: ApplyOutcome; warning?: string }> {
    if (!this.backend) return { applied: 'deferred', warning: this.deferredWarning('no WireGuard interface is configured') };
    try {
      await fn(this.backend);
      return { applied: 'applied' };
    } catch (e) {
      if (e instanceof DeviceUnreachableError) return { applied: 'deferred', warning: this.deferredWarning(e.message) };
      throw e;
    }
  }

  private deferredWarning(why: string): string {
    return `the change is stored but not applied to the live interface (${why}); it will be applied by the next "privroute init"`;
  }

  /** The stored client, or InputError (exit 2) naming it. */
  get(name: string): ClientRecord {
    validateClientName(name);
    const c = repo.getClient(this.store.db, name);
    if (!c) throw new InputError({ path: 'NAME', value: name, expected: 'the name of an existing client (privroute list-clients)' });
    return c;
  }

  private isExpired(c: ClientRecord): boolean {
    return c.expiresAt !== null && c.expiresAt <= this.now().toISOString();
  }

  /** List clients, joined with the live device's handshake and counters when reachable. */
  async list(): Promise<{ clients: ClientView[]; device: 'reachable' | 'unreachable'; warning?: string }> {
    const rows = repo.listClients(this.store.db);
    let peers: Map<string, { lastHandshake?: Date | null; rxBytes: number; txBytes: number }> | null = null;
    let warning: string | undefined;
    if (this.backend) {
      try {
        peers = new Map((await this.backend.get()).peers.map((p) => [p.publicKey, p]));
      } catch (e) {
        if (!(e instanceof DeviceUnreachableError)) throw e;
        warning = `live status unavailable: ${e.message}`;
      }
    } else warning = 'live status unavailable: no WireGuard interface configured';
    const clients = rows.map((c): ClientView => {
      const p = peers?.get(c.publicKey);
      return {
        name: c.name,
        address4: c.address4,
        address6: c.address6,
        publicKey: c.publicKey,
        createdAt: c.createdAt,
        expiresAt: c.expiresAt,
        enabled: c.enabled,
        expired: this.isExpired(c),
        live: peers ? p !== undefined : null,
        lastHandshake: p?.lastHandshake ? p.lastHandshake.toISOString() : null,
        rxBytes: p ? p.rxBytes : null,
        txBytes: p ? p.txBytes : null,
        endpoint: c.endpoint ?? null,
      };
    });
    return { clients, device: peers ? 'reachable' : 'unreachable', ...(warning ? { warning } : {}) };
  }

  /** Revoke: delete the row (freeing its address) and remove the peer from the interface. */
  async revoke(name: string): Promise<MutationResult> {
    const c = this.get(name);
    // Interface first: if the device refuses, the client stays as it was (still revocable).
    const outcome = await this.live((b) => b.removePeer(c.publicKey));
    this.store.tx(() => repo.deleteClient(this.store.db, name));
    return { name, ...outcome };
  }

  /** Disable: keep the row and address, remove the peer. Idempotent. */
  async disable(name: string): Promise<MutationResult> {
    const c = this.get(name);
    this.store.tx(() => repo.setEnabled(this.store.db, name, false));
    try {
      return { name, ...(await this.live((b) => b.removePeer(c.publicKey))) };
    } catch (e) {
      this.store.tx(() => repo.setEnabled(this.store.db, name, c.enabled));
      throw e;
    }
  }

  /** Enable: mark enabled and add the peer back (unless expired: then only the flag). */
  async enable(name: string): Promise<MutationResult> {
    const c = this.get(name);
    this.store.tx(() => repo.setEnabled(this.store.db, name, true));
    if (this.isExpired(c)) {
      return { name, applied: 'not-needed', warning: `client ${name} expired at ${c.expiresAt}; it stays off the interface (add a new client or extend it)` };
    }
    try {
      return { name, ...(await this.live((b) => b.setPeer(peerOf(c)))) };
    } catch (e) {
      this.store.tx(() => repo.setEnabled(this.store.db, name, c.enabled));
      throw e;
    }
  }

  /** The peers the interface should hold: enabled, unexpired clients. */
  desiredPeers(): PeerSpec[] {
    return repo.activeClients(this.store.db, this.now().toISOString()).map(peerOf);
  }

  /**
   * Remove expired clients' peers from the live interface (rows are kept so
   * list-clients shows them as expired). Touches nothing else. Used by the
   * daemon's schedule and by init. Returns the names taken off the interface.
   */
  async expire(): Promise<{ removed: string[]; applied: ApplyOutcome; warning?: string }> {
    const expired = repo.expiredClients(this.store.db, this.now().toISOString());
    if (expired.length === 0) return { removed: [], applied: 'not-needed' };
    if (!this.backend) return { removed: [], applied: 'deferred', warning: this.deferredWarning('no WireGuard interface is configured') };
    let dev;
    try {
      dev = await this.backend.get();
    } catch (e) {
      if (e instanceof DeviceUnreachableError) return { removed: [], applied: 'deferred', warning: this.deferredWarning(e.message) };
      throw e;
    }
    const live = new Set(dev.peers.map((p) => p.publicKey));
    const gone = expired.filter((c) => live.has(c.publicKey));
    if (gone.length) await this.backend.applyChanges({ upsert: [], updatedKeys: [], remove: gone.map((c) => c.publicKey), unchanged: 0 });
    return { removed: gone.map((c) => c.name), applied: gone.length ? 'applied' : 'not-needed' };
  }
}
