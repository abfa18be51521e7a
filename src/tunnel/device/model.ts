/**
 * One typed model of a WireGuard device, shared by both backends (userspace UAPI
 * and kernel `wg`), plus the pure peer diff (`diffPeers`) init's gateway-peers component plans with.
 *
 * Keys are base64 everywhere in this model; backends convert at their edge
 * (UAPI speaks hex). Observed-only fields (handshake, counters, endpoint learnt
 * from roaming) are ignored when comparing desired and observed peers.
 */
import { OperationError } from '../../core/errors.js';
import type { KeyB64 } from '../keys.js';

/** One peer as configured and observed. */
export interface Peer {
  publicKey: KeyB64;
  /** Absent or undefined = no PSK. */
  presharedKey?: KeyB64;
  /** `host:port` / `[v6]:port`; on the gateway usually learnt from the client. */
  endpoint?: string;
  /** CIDRs, canonical text (`10.8.0.2/32`, `fd00::2/128`). */
  allowedIps: string[];
  /** Seconds; 0 or undefined = off. */
  persistentKeepalive?: number;
  /** Observed: last handshake, or null if never. */
  lastHandshake?: Date | null;
  /** Observed counters (bytes). */
  rxBytes: number;
  txBytes: number;
}

/** What we want a peer to be (no observed fields). */
export type PeerSpec = Pick<Peer, 'publicKey' | 'presharedKey' | 'allowedIps' | 'persistentKeepalive' | 'endpoint'>;

/** A device as observed. */
export interface Device {
  privateKey: KeyB64 | null;
  publicKey: KeyB64 | null;
  listenPort: number;
  fwmark?: number;
  peers: Peer[];
}

/** A planned change to the peer set (pure output of {@link diffPeers}). */
export interface PeerChanges {
  upsert: PeerSpec[];
  /** Subset of `upsert` keys that exist already (for reporting). */
  updatedKeys: KeyB64[];
  remove: KeyB64[];
  unchanged: number;
}

/**
 * Control of one WireGuard interface. Every mutating call touches only what it
 * names: no call rewrites the whole device or restarts it.
 */
export interface WgBackend {
  /** Human label for errors: `uapi:/var/run/wireguard/wg0.sock`, `kernel:wg0@pct:100`. */
  readonly label: string;
  /** Read the device. Rejects with OperationError if it is not reachable. */
  get(): Promise<Device>;
  /** Add or update one peer (allowed IPs replaced, not appended). */
  setPeer(peer: PeerSpec): Promise<void>;
  /** Remove one peer; removing an absent peer is a no-op. */
  removePeer(publicKey: KeyB64): Promise<void>;
  /** Apply a precomputed change set (one round-trip where the backend allows). */
  applyChanges(changes: PeerChanges): Promise<void>;
  /** Set the private key (secret: never in argv). */
  setPrivateKey(privateKey: KeyB64): Promise<void>;
  setListenPort(port: number): Promise<void>;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(canonCidr));
  return b.every((x) => s.has(canonCidr(x)));
}

/** Canonical CIDR text for comparison (lower case; a bare address gets /32 or /128). */
export function canonCidr(c: string): string {
  const t = c.trim().toLowerCase();
  return t.includes('/') ? t : t.includes(':') ? `${t}/128` : `${t}/32`;
}

/**
 * True if the observed peer already matches the desired one in every configured
 * field. The endpoint is compared only when the desired peer names one (a server
 * learns its clients' endpoints by roaming; that is not drift).
 */
export function peerMatches(want: PeerSpec, have: Peer): boolean {
  return (
    want.publicKey === have.publicKey &&
    (want.presharedKey ?? null) === (have.presharedKey ?? null) &&
    (want.persistentKeepalive ?? 0) === (have.persistentKeepalive ?? 0) &&
    sameSet(want.allowedIps, have.allowedIps) &&
    (want.endpoint === undefined || want.endpoint === have.endpoint)
  );
}

/**
 * Reconcile (pure): desired peers vs observed peers → the minimal change set.
 * Missing peers are added, differing ones updated, peers not desired removed,
 * matching ones left untouched (their handshakes and counters survive).
 */
export function diffPeers(desired: readonly PeerSpec[], observed: readonly Peer[]): PeerChanges {
  const have = new Map(observed.map((p) => [p.publicKey, p]));
  const want = new Set<string>();
  const upsert: PeerSpec[] = [];
  const updatedKeys: KeyB64[] = [];
  let unchanged = 0;
  for (const d of desired) {
    want.add(d.publicKey);
    const h = have.get(d.publicKey);
    if (!h) upsert.push(d);
    else if (!peerMatches(d, h)) {
      upsert.push(d);
      updatedKeys.push(d.publicKey);
    } else unchanged++;
  }
  const remove = observed.filter((p) => !want.has(p.publicKey)).map((p) => p.publicKey);
  return { upsert, updatedKeys, remove, unchanged };
}

/** True if a change set does nothing. */
export function isNoop(c: PeerChanges): boolean {
  return c.upsert.length === 0 && c.remove.length === 0;
}

/**
 * The interface cannot be reached at all (no socket, no such device, container
 * down) — as opposed to a request it rejected. Callers may degrade on this one
 * (add-client stores the client and defers the peer to the next init).
 */
export class DeviceUnreachableError extends OperationError {
  constructor(label: string, detail: string, cause?: unknown) {
    super('wireguard', `interface ${label} is not reachable: ${detail}`, {
      cause,
      hint: 'run "privroute init" to (re)start the gateway; stored clients are applied then',
    });
  }
}
