/**
 * The kernel backend (Proxmox nodes with in-kernel WireGuard): drives `wg` through
 * a HostExec (`pct exec <ct> -- wg ...` in production). Secrets never go in argv:
 * the PSK and the private key are written to a 0600 file on the target, named to
 * `wg`, and removed right after. Not `/dev/stdin`: wg fopen()s key files, and a
 * HostExec's stdin is a socketpair (Node/libuv), which open() refuses with ENXIO
 * ("fopen: No such device or address", measured against wireguard-go here).
 *
 * `wg` also controls wireguard-go through its socket, so this backend is
 * exercised against a real device in the integration tests too.
 */
import { randomBytes } from 'node:crypto';
import { ExecError, type HostExec } from '../../host/exec.js';
import { isKeyB64, type KeyB64 } from '../keys.js';
import { DeviceUnreachableError, type Device, type Peer, type PeerChanges, type PeerSpec, type WgBackend } from './model.js';
import { OperationError } from '../../core/errors.js';

const none = (v: string | undefined) => (v === undefined || v === '(none)' || v === 'off' ? undefined : v);

function num(field: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new OperationError('wg-dump', `${field}: not a number: ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Parse `wg show <if> dump` (tab-separated; first line the interface, then one
 * line per peer). Pure. Throws OperationError on a malformed dump.
 */
export function parseWgDump(text: string): Device {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) throw new OperationError('wg-dump', 'empty dump');
  const head = lines[0]!.split('\t');
  if (head.length !== 4) throw new OperationError('wg-dump', `interface line has ${head.length} fields, expected 4`);
  const [priv, pub, port, fwmark] = head;
  const dev: Device = {
    privateKey: none(priv) ?? null,
    publicKey: none(pub) ?? null,
    listenPort: num('listen_port', port),
    peers: [],
  };
  const fw = none(fwmark);
  if (fw !== undefined) dev.fwmark = Number(fw);
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    if (f.length !== 8) throw new OperationError('wg-dump', `peer line has ${f.length} fields, expected 8`);
    const [pk, psk, endpoint, ips, hs, rx, tx, ka] = f;
    if (!isKeyB64(pk!)) throw new OperationError('wg-dump', 'peer line does not start with a public key');
    const p: Peer = {
      publicKey: pk!,
      allowedIps: none(ips)?.split(',').filter(Boolean) ?? [],
      lastHandshake: num('latest-handshake', hs) === 0 ? null : new Date(num('latest-handshake', hs) * 1000),
      rxBytes: num('transfer-rx', rx),
      txBytes: num('transfer-tx', tx),
    };
    if (none(psk)) p.presharedKey = psk!;
    if (none(endpoint)) p.endpoint = endpoint!;
    if (none(ka)) p.persistentKeepalive = num('persistent-keepalive', ka);
    dev.peers.push(p);
  }
  return dev;
}

function checkIfname(iface: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface) || iface.startsWith('-')) throw new Error(`invalid interface name ${JSON.stringify(iface)}`);
  return iface;
}

/** Did running on the target fail to spawn at all (ENOENT of the executor, anywhere in the cause chain)? */
function spawnFailed(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c && i < 8; c = (c as { cause?: unknown }).cause, i++) {
    const x = c as { code?: unknown; syscall?: unknown; message?: unknown };
    if (x.code === 'ENOENT' && typeof x.syscall === 'string' && x.syscall.startsWith('spawn')) return true;
    if (typeof x.message === 'string' && /\bspawn \S+ ENOENT\b/.test(x.message)) return true;
  }
  return false;
}

/** WgBackend running `wg` through a HostExec. */
export class KernelBackend implements WgBackend {
  readonly label: string;
  /**
   * @param keyDir directory on the target for the short-lived 0600 key files
   *   (tmpfs `/run` by default, so a key never reaches a disk).
   */
  constructor(private readonly exec: HostExec, readonly iface: string, private readonly keyDir = '/run') {
    checkIfname(iface);
    this.label = `kernel:${iface}@${exec.target}`;
  }

  /** Write `secret` to a fresh 0600 file on the target, run `fn(path)`, always remove the file. */
  private async withKeyFile<T>(secret: string, fn: (file: string) => Promise<T>): Promise<T> {
    const file = `${this.keyDir}/.privroute-wg-${randomBytes(8).toString('hex')}.key`;
    try {
      await this.exec.writeFile(file, secret + '\n', 0o600);
    } catch (e) {
      // The target itself cannot be run (no `pct` here, the container gone): the device is
      // unreachable, so a live change is deferred to init's sync, as with a missing interface.
      if (spawnFailed(e)) throw new DeviceUnreachableError(this.label, (e as Error).message, e);
      throw e;
    }
    try {
      return await fn(file);
    } finally {
      await this.exec.run(['rm', '-f', file]).catch(() => undefined);
    }
  }

  private async wg(args: string[]): Promise<string> {
    try {
      return (await this.exec.run(['wg', ...args])).stdout;
    } catch (e) {
      // Only the interface lookup failure means "unreachable" (not e.g. an ENXIO on a key file).
      if ((e instanceof ExecError && /Unable to access interface/i.test(e.stderr)) || spawnFailed(e)) {
        throw new DeviceUnreachableError(this.label, (e instanceof ExecError && e.stderr.split('\n')[0]) || (e as Error).message, e);
      }
      throw e;
    }
  }

  async get(): Promise<Device> {
    return parseWgDump(await this.wg(['show', this.iface, 'dump']));
  }

  async setPeer(p: PeerSpec): Promise<void> {
    if (!isKeyB64(p.publicKey)) throw new Error('malformed peer public key');
    const args = ['set', this.iface, 'peer', p.publicKey];
    const rest = ['persistent-keepalive', String(p.persistentKeepalive ?? 0)];
    if (p.endpoint !== undefined) rest.push('endpoint', p.endpoint);
    // `allowed-ips` with a list replaces the peer's set (wg semantics), "" clears it.
    rest.push('allowed-ips', p.allowedIps.join(','));
    // /dev/null clears the PSK (an empty file is rejected: "Invalid length key in key file").
    if (!p.presharedKey) await this.wg([...args, 'preshared-key', '/dev/null', ...rest]);
    else await this.withKeyFile(p.presharedKey, (f) => this.wg([...args, 'preshared-key', f, ...rest]));
  }

  async removePeer(publicKey: KeyB64): Promise<void> {
    await this.wg(['set', this.iface, 'peer', publicKey, 'remove']);
  }

  async applyChanges(c: PeerChanges): Promise<void> {
    // Adds first. Each upsert is its own `wg set` (one PSK file each).
    for (const p of c.upsert) await this.setPeer(p);
    if (c.remove.length) await this.wg(['set', this.iface, ...c.remove.flatMap((k) => ['peer', k, 'remove'])]);
  }

  async setPrivateKey(privateKey: KeyB64): Promise<void> {
    await this.withKeyFile(privateKey, (f) => this.wg(['set', this.iface, 'private-key', f]));
  }

  async setListenPort(port: number): Promise<void> {
    await this.wg(['set', this.iface, 'listen-port', String(port)]);
  }
}
