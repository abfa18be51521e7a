/**
 * The userspace backend: speaks the UAPI text protocol (uapi.ts) directly over
 * wireguard-go's control socket, `/var/run/wireguard/<iface>.sock`.
 *
 * The socket path is machine-wide even when wireguard-go runs in a network
 * namespace (the namespace does not change the filesystem), so the node reaches
 * a gateway in any namespace through it. One connection per request: a unix
 * socket connect costs microseconds, and it keeps requests independent.
 */
import { connect } from 'node:net';
import path from 'node:path';
import type { KeyB64 } from '../keys.js';
import { DeviceUnreachableError, type Device, type PeerChanges, type PeerSpec, type WgBackend } from './model.js';
import { GET_REQUEST, parseGet, parseReply, renderSet, UapiError, type SetRequest } from './uapi.js';

/** Where wireguard-go puts its control sockets. */
export const UAPI_SOCKET_DIR = '/var/run/wireguard';

/** The control socket of interface `iface`. */
export function uapiSocketPath(iface: string, dir = UAPI_SOCKET_DIR): string {
  return path.join(dir, `${iface}.sock`);
}

/**
 * Send one request and read one reply (until the blank line that ends it).
 * Rejects with DeviceUnreachableError when the socket is absent/refused, UapiError
 * when the device closes without a reply, and times out after `timeoutMs`.
 */
export function uapiRequest(socketPath: string, request: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    let done = false;
    const finish = (err: Error | null, text?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const timer = setTimeout(() => finish(new UapiError(`no reply from ${socketPath} within ${timeoutMs} ms`, null)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d: string) => {
      buf += d;
      // A reply ends with "errno=N\n\n"; get replies contain no other blank line. Only the
      // tail is tested: a 10k-peer reply is megabytes and arrives in many chunks.
      if (buf.endsWith('\n\n') && /(^|\n)errno=-?\d+\n\n$/.test(buf.slice(-32))) finish(null, buf);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTSOCK') {
        finish(new DeviceUnreachableError(`uapi:${socketPath}`, e.code, e));
      } else finish(new UapiError(`${socketPath}: ${e.message}`, null));
    });
    sock.on('close', () => finish(new UapiError(`${socketPath} closed the connection without a reply (request rejected)`, null)));
  });
}

/** WgBackend over a wireguard-go UAPI socket. */
export class UserspaceBackend implements WgBackend {
  readonly label: string;
  constructor(readonly socketPath: string, private readonly timeoutMs = 5000) {
    this.label = `uapi:${socketPath}`;
  }

  /** Backend for interface `iface` at the standard socket path. */
  static forInterface(iface: string, dir = UAPI_SOCKET_DIR): UserspaceBackend {
    return new UserspaceBackend(uapiSocketPath(iface, dir));
  }

  async get(): Promise<Device> {
    return parseGet(await uapiRequest(this.socketPath, GET_REQUEST, this.timeoutMs));
  }

  /** Send a set request; resolves when the device answered errno=0. */
  async set(req: SetRequest): Promise<void> {
    parseReply(await uapiRequest(this.socketPath, renderSet(req), this.timeoutMs));
  }

  setPeer(peer: PeerSpec): Promise<void> {
    return this.set({ peers: [{ kind: 'upsert', peer }] });
  }

  removePeer(publicKey: KeyB64): Promise<void> {
    // Removing an absent peer is accepted by wireguard-go (errno=0): idempotent.
    return this.set({ peers: [{ kind: 'remove', publicKey }] });
  }

  async applyChanges(c: PeerChanges): Promise<void> {
    // Adds before removes (never a moment with fewer peers than needed); one request.
    const peers = [
      ...c.upsert.map((peer) => ({ kind: 'upsert' as const, peer })),
      ...c.remove.map((publicKey) => ({ kind: 'remove' as const, publicKey })),
    ];
    if (peers.length) await this.set({ peers });
  }

  setPrivateKey(privateKey: KeyB64): Promise<void> {
    return this.set({ privateKey });
  }

  setListenPort(port: number): Promise<void> {
    return this.set({ listenPort: port });
  }

  /** True if the control socket answers a `get` (wireguard-go is running). */
  alive(): Promise<boolean> {
    return this.get().then(
      () => true,
      () => false,
    );
  }
}
