/**
 * Minimal WireGuard cross-platform UAPI client (the text protocol wireguard-go
 * serves on /var/run/wireguard/<name>.sock): `get=1` parsed into a typed state,
 * and `set=1` with an operation list rendered by {@link renderSet}.
 *
 * Duplicate on purpose: the tunnel helper's userspace backend (src/tunnel/device)
 * had not landed when this was written; warp needs only get + one atomic set.
 * The socket path is a filesystem path, so it works across network namespaces.
 */
import net from 'node:net';
import path from 'node:path';
import { OperationError } from '../core/errors.js';
import { hexToKey, keyToHex } from './keys.js';

/** Where wireguard-go puts its control sockets. */
export const WG_SOCKET_DIR = '/var/run/wireguard';

/** One peer as `get=1` reports it. Keys in base64. */
export interface UapiPeer {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  lastHandshakeSec: number;
  rxBytes: number;
  txBytes: number;
  persistentKeepalive: number;
}

/** The device as `get=1` reports it. `privateKey` is a secret (redacted by the logger). */
export interface UapiDevice {
  privateKey?: string;
  listenPort?: number;
  fwmark?: number;
  peers: UapiPeer[];
}

/** A peer to set (replacing whatever the device has when `replacePeers`). */
export interface UapiPeerSpec {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  persistentKeepalive?: number;
  remove?: boolean;
}

/** A `set=1` operation. */
export interface UapiSet {
  privateKey?: string;
  listenPort?: number;
  replacePeers?: boolean;
  peers?: UapiPeerSpec[];
}

/** Render a `set=1` request (pure). Keys go in as hex, as the protocol wants. */
export function renderSet(op: UapiSet): string {
  const l = ['set=1'];
  if (op.privateKey !== undefined) l.push(`private_key=${keyToHex(op.privateKey)}`);
  if (op.listenPort !== undefined) l.push(`listen_port=${op.listenPort}`);
  if (op.replacePeers) l.push('replace_peers=true');
  for (const p of op.peers ?? []) {
    l.push(`public_key=${keyToHex(p.publicKey)}`);
    if (p.remove) {
      l.push('remove=true');
      continue;
    }
    if (p.endpoint) l.push(`endpoint=${p.endpoint}`);
    if (p.persistentKeepalive !== undefined) l.push(`persistent_keepalive_interval=${p.persistentKeepalive}`);
    l.push('replace_allowed_ips=true');
    for (const a of p.allowedIps) l.push(`allowed_ip=${a}`);
  }
  return l.join('\n') + '\n\n';
}

/** Parse a `get=1` answer (pure). Throws on a non-zero errno. */
export function parseGet(text: string): UapiDevice {
  const dev: UapiDevice = { peers: [] };
  let peer: UapiPeer | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    switch (k) {
      case 'private_key': dev.privateKey = hexToKey(v); break;
      case 'listen_port': dev.listenPort = Number(v); break;
      case 'fwmark': dev.fwmark = Number(v); break;
      case 'public_key':
        peer = { publicKey: hexToKey(v), allowedIps: [], lastHandshakeSec: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 0 };
        dev.peers.push(peer);
        break;
      case 'endpoint': if (peer) peer.endpoint = v; break;
      case 'allowed_ip': peer?.allowedIps.push(v); break;
      case 'last_handshake_time_sec': if (peer) peer.lastHandshakeSec = Number(v); break;
      case 'rx_bytes': if (peer) peer.rxBytes = Number(v); break;
      case 'tx_bytes': if (peer) peer.txBytes = Number(v); break;
      case 'persistent_keepalive_interval': if (peer) peer.persistentKeepalive = Number(v); break;
      case 'errno': if (v !== '0') throw new Error(`errno=${v}`); break;
      default: break; // protocol_version, last_handshake_time_nsec, ...
    }
  }
  return dev;
}

/** Talks UAPI to one wireguard-go interface. */
export class UapiClient {
  readonly socketPath: string;
  constructor(readonly iface: string, socketDir = WG_SOCKET_DIR) {
    this.socketPath = path.join(socketDir, `${iface}.sock`);
  }

  /** `get=1`: the device state. Rejects with OperationError when the socket is absent (wireguard-go not running). */
  async get(): Promise<UapiDevice> {
    const text = await this.exchange('get=1\n\n');
    try {
      return parseGet(text);
    } catch (e) {
      throw new OperationError('wireguard-uapi', `get on ${this.iface} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** One `set=1` operation, applied by wireguard-go atomically under its device lock. */
  async set(op: UapiSet): Promise<void> {
    const text = await this.exchange(renderSet(op));
    const m = /errno=(-?\d+)/.exec(text);
    if (!m || m[1] !== '0') {
      throw new OperationError('wireguard-uapi', `set on ${this.iface} failed: ${m ? `errno=${m[1]}` : 'no answer'}`, {
        hint: 'wireguard-go rejected the configuration; check its log',
      });
    }
  }

  /** True if the control socket accepts a connection. */
  async alive(): Promise<boolean> {
    return this.exchange('get=1\n\n').then(() => true, () => false);
  }

  private exchange(req: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(this.socketPath);
      const chunks: Buffer[] = [];
      const done = (e?: Error): void => {
        s.destroy();
        if (e) reject(new OperationError('wireguard-uapi', `${this.socketPath}: ${e.message}`, { cause: e, hint: `is wireguard-go running for ${this.iface}?` }));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      s.setTimeout(5000, () => done(new Error('timed out')));
      s.on('error', (e) => done(e));
      s.on('data', (b: Buffer) => {
        chunks.push(b);
        // The answer ends with an empty line after errno=N.
        if (/errno=-?\d+\n\n$/.test(Buffer.concat(chunks).toString('utf8'))) done();
      });
      s.on('end', () => done());
      s.write(req);
    });
  }
}
