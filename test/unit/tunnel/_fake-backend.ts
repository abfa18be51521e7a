/**
 * An in-memory WgBackend for unit tests: models a device's peer table and
 * records each request, so tests can assert that a change touched only one peer.
 * `reachable = false` makes every call fail like a missing UAPI socket;
 * `rejectNext` makes the next mutation fail like a device errno.
 */
import { DeviceUnreachableError, type Device, type Peer, type PeerChanges, type PeerSpec, type WgBackend } from '../../../src/tunnel/device/model.js';
import { UapiError } from '../../../src/tunnel/device/uapi.js';
import { publicKeyOf, type KeyB64 } from '../../../src/tunnel/keys.js';

export class FakeBackend implements WgBackend {
  readonly label = 'fake';
  reachable = true;
  rejectNext = false;
  privateKey: KeyB64 | null = null;
  listenPort = 0;
  readonly peers = new Map<string, Peer>();
  /** One entry per request: the peer keys it touched ("+k" upsert, "-k" remove), or "get"/"key"/"port". */
  readonly requests: string[][] = [];

  private check(): void {
    if (!this.reachable) throw new DeviceUnreachableError(this.label, 'ENOENT');
  }
  private mutate(): void {
    this.check();
    if (this.rejectNext) {
      this.rejectNext = false;
      throw new UapiError('device returned errno=-22', -22);
    }
  }
  async get(): Promise<Device> {
    this.check();
    this.requests.push(['get']);
    return {
      privateKey: this.privateKey,
      publicKey: this.privateKey ? publicKeyOf(this.privateKey) : null,
      listenPort: this.listenPort,
      peers: [...this.peers.values()].map((p) => ({ ...p, allowedIps: [...p.allowedIps] })),
    };
  }
  private upsert(p: PeerSpec): void {
    const old = this.peers.get(p.publicKey);
    this.peers.set(p.publicKey, { rxBytes: old?.rxBytes ?? 0, txBytes: old?.txBytes ?? 0, lastHandshake: old?.lastHandshake ?? null, ...p, allowedIps: [...p.allowedIps] });
  }
  async setPeer(p: PeerSpec): Promise<void> {
    this.mutate();
    this.requests.push([`+${p.publicKey}`]);
    this.upsert(p);
  }
  async removePeer(k: KeyB64): Promise<void> {
    this.mutate();
    this.requests.push([`-${k}`]);
    this.peers.delete(k);
  }
  async applyChanges(c: PeerChanges): Promise<void> {
    this.mutate();
    this.requests.push([...c.upsert.map((p) => `+${p.publicKey}`), ...c.remove.map((k) => `-${k}`)]);
    c.upsert.forEach((p) => this.upsert(p));
    c.remove.forEach((k) => this.peers.delete(k));
  }
  async setPrivateKey(k: KeyB64): Promise<void> {
    this.mutate();
    this.requests.push(['key']);
    this.privateKey = k;
  }
  async setListenPort(n: number): Promise<void> {
    this.mutate();
    this.requests.push(['port']);
    this.listenPort = n;
  }
  mutations(): string[][] {
    return this.requests.filter((r) => r[0] !== 'get');
  }
}
