/**
 * The WARP tunnel's WireGuard control: a thin adapter over the tunnel
 * component's userspace UAPI backend (src/tunnel/device/uapi-backend.ts: the
 * wire protocol, validation and socket handling live there, not duplicated here).
 *
 * The adapter keeps the small shape warp needs: `get()` with the handshake as
 * seconds (UAPI `last_handshake_time_sec`, 0 = never), one `set()` carrying
 * private key + replace_peers + peers in a single request (the atomic swap
 * rotation relies on), and `alive()`. The socket path is a filesystem path, so
 * it works across network namespaces.
 */
import { UAPI_SOCKET_DIR, UserspaceBackend, uapiSocketPath } from '../tunnel/device/uapi-backend.js';
import type { PeerOp } from '../tunnel/device/uapi.js';

/** Where wireguard-go puts its control sockets. */
export const WG_SOCKET_DIR = UAPI_SOCKET_DIR;

/** One peer as `get=1` reports it. Keys in base64. */
export interface UapiPeer {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  /** UAPI `last_handshake_time_sec`; 0 = never. */
  lastHandshakeSec: number;
  rxBytes: number;
  txBytes: number;
  /** 0 = off. */
  persistentKeepalive: number;
}

/** The device as `get=1` reports it. `privateKey` is a secret (redacted by the logger). */
export interface UapiDevice {
  privateKey?: string;
  listenPort?: number;
  peers: UapiPeer[];
}

/** A peer to set, or to remove. */
export interface UapiPeerSpec {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  persistentKeepalive?: number;
  remove?: boolean;
}

/** One `set=1` request (applied by wireguard-go under its device lock, all or nothing). */
export interface UapiSet {
  privateKey?: string;
  listenPort?: number;
  replacePeers?: boolean;
  peers?: UapiPeerSpec[];
}

/** Talks UAPI to one wireguard-go interface. */
export class UapiClient {
  private readonly b: UserspaceBackend;
  /** The control socket's path. */
  readonly socketPath: string;
  constructor(readonly iface: string, socketDir = WG_SOCKET_DIR) {
    this.socketPath = uapiSocketPath(iface, socketDir);
    this.b = new UserspaceBackend(this.socketPath);
  }

  /** `get=1`. Rejects (DeviceUnreachableError) when wireguard-go is not running. */
  async get(): Promise<UapiDevice> {
    const d = await this.b.get();
    return {
      ...(d.privateKey ? { privateKey: d.privateKey } : {}),
      listenPort: d.listenPort,
      peers: d.peers.map((p) => ({
        publicKey: p.publicKey,
        ...(p.endpoint ? { endpoint: p.endpoint } : {}),
        allowedIps: p.allowedIps,
        lastHandshakeSec: p.lastHandshake ? Math.floor(p.lastHandshake.getTime() / 1000) : 0,
        rxBytes: p.rxBytes,
        txBytes: p.txBytes,
        persistentKeepalive: p.persistentKeepalive ?? 0,
      })),
    };
  }

  /** One `set=1` request. */
  async set(op: UapiSet): Promise<void> {
    const peers: PeerOp[] = (op.peers ?? []).map((p) =>
      p.remove
        ? { kind: 'remove', publicKey: p.publicKey }
        : { kind: 'upsert', peer: { publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: p.allowedIps, persistentKeepalive: p.persistentKeepalive } },
    );
    await this.b.set({ privateKey: op.privateKey, listenPort: op.listenPort, replacePeers: op.replacePeers, peers });
  }

  /** True if the control socket answers. */
  alive(): Promise<boolean> {
    return this.b.get().then(
      () => true,
      () => false,
    );
  }
}
