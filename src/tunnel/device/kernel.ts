/**
 * The kernel backend (Proxmox nodes with in-kernel WireGuard): drives `wg` through
 * a HostExec (`pct exec <ct> -- wg ...` in production). Secrets never go in argv:
 * the PSK and the private key are read by `wg` from `/dev/stdin`.
 *
 * `wg` also controls wireguard-go through its socket, so this backend is
 * exercised against a real device in the integration tests too.
 */
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

/** WgBackend running `wg` through a HostExec. */
export class KernelBackend implements WgBackend {
  readonly label: string;
  constructor(private readonly exec: HostExec, readonly iface: string) {
    checkIfname(iface);
    this.label = `kernel:${iface}@${exec.target}`;
  }

  private async wg(args: string[], stdin?: string): Promise<string> {
    try {
      return (await this.exec.run(['wg', ...args], stdin === undefined ? {} : { stdin })).stdout;
    } catch (e) {
      if (e instanceof ExecError && /No such device|Unable to access interface/i.test(e.stderr)) {
        throw new DeviceUnreachableError(this.label, e.stderr.split('\n')[0] ?? 'no such device', e);
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
    // The PSK only ever travels on stdin; /dev/null clears it (wg rejects an empty stdin:
    // "Invalid length key in key file", measured).
    args.push('preshared-key', p.presharedKey ? '/dev/stdin' : '/dev/null');
    args.push('persistent-keepalive', String(p.persistentKeepalive ?? 0));
    if (p.endpoint !== undefined) args.push('endpoint', p.endpoint);
    // `allowed-ips` with a list replaces the peer's set (wg semantics), "" clears it.
    args.push('allowed-ips', p.allowedIps.join(','));
    await this.wg(args, p.presharedKey ? p.presharedKey + '\n' : undefined);
  }

  async removePeer(publicKey: KeyB64): Promise<void> {
    await this.wg(['set', this.iface, 'peer', publicKey, 'remove']);
  }

  async applyChanges(c: PeerChanges): Promise<void> {
    // Adds first. Each upsert is its own `wg set` because the PSK travels on stdin (one per call).
    for (const p of c.upsert) await this.setPeer(p);
    if (c.remove.length) await this.wg(['set', this.iface, ...c.remove.flatMap((k) => ['peer', k, 'remove'])]);
  }

  async setPrivateKey(privateKey: KeyB64): Promise<void> {
    await this.wg(['set', this.iface, 'private-key', '/dev/stdin'], privateKey + '\n');
  }

  async setListenPort(port: number): Promise<void> {
    await this.wg(['set', this.iface, 'listen-port', String(port)]);
  }
}
