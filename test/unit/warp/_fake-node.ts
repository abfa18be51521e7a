/**
 * A fake node for the warp reconcile tests: the shared fake network stack
 * (test/helpers/fake-net.ts: iptables, rules, routes, links, sysctls as state)
 * plus the WARP hop's own commands (precondition probes, wireguard-go) and a fake
 * wireguard-go UAPI. Any command outside the model fails the test.
 */
import type { FakeHostExec } from '../../../src/host/fake.js';
import type { WgControl } from '../../../src/warp/node-observe.js';
import type { Device } from '../../../src/tunnel/device/model.js';
import type { SetRequest } from '../../../src/tunnel/device/uapi.js';
import { emptyNetState, fakeNet, type NetState } from '../../helpers/fake-net.js';

export type NodeState = NetState;

export class FakeWg implements WgControl {
  dev: Device | null = null;
  sets: SetRequest[] = [];
  async alive(): Promise<boolean> { return this.dev !== null; }
  async get(): Promise<Device> {
    if (!this.dev) throw new Error('no socket');
    return structuredClone(this.dev);
  }
  async set(op: SetRequest): Promise<void> {
    if (!this.dev) throw new Error('no socket');
    this.sets.push(op);
    if (op.privateKey) this.dev.privateKey = op.privateKey;
    if (op.listenPort !== undefined) this.dev.listenPort = op.listenPort;
    if (op.replacePeers) this.dev.peers = [];
    for (const p of op.peers ?? []) {
      const key = p.kind === 'remove' ? p.publicKey : p.peer.publicKey;
      this.dev.peers = this.dev.peers.filter((x) => x.publicKey !== key);
      if (p.kind === 'upsert') this.dev.peers.push({ ...p.peer, allowedIps: [...p.peer.allowedIps], lastHandshake: null, rxBytes: 0, txBytes: 0, persistentKeepalive: p.peer.persistentKeepalive ?? 0 });
    }
  }
}

/** Routes of one family's table as short strings: `blackhole`, `dev:<name>`. */
export function routesOf(state: NodeState, family: 4 | 6, table: number): string[] {
  return (state.routes.get(`${family}/${table}`) ?? []).map((r) => (r.type === 'blackhole' ? 'blackhole' : `dev:${r.dev}`)).sort();
}

export function fakeNode(opts: { warpIf?: string | null } = {}): { exec: FakeHostExec<NodeState>; wg: FakeWg; state: NodeState; killTunnel(name: string): void } {
  const state = emptyNetState(opts.warpIf === null ? {} : { [opts.warpIf ?? 'warp0']: { up: false, mtu: 1500, addrs: [] } });
  const wg = new FakeWg();
  const any = { times: 'any' as const };
  const exec = fakeNet(state, 'fake-node')
    .on(['ip', '-6', '-j', 'route', 'show', 'default'], () => '[]', any)
    .on(['test', '-c', '/dev/net/tun'], () => ({ code: 0 }), any)
    .on(['test', '-d', '/sys/module/wireguard'], () => ({ code: 1 }), any)
    .on(['wireguard-go', '--version'], () => 'wireguard-go v0.0.20220316\n', any)
    .on(['wireguard-go', /.+/], ({ captures: [n] }) => {
      state.links.set(n!, { up: false, mtu: 1420, addrs: [] });
      wg.dev = { privateKey: null, publicKey: null, listenPort: 0, peers: [] };
    }, any);
  return {
    exec,
    wg,
    state,
    // wireguard-go dying: its TUN disappears and with it every route through it.
    killTunnel(name: string) {
      state.links.delete(name);
      for (const [k, rs] of state.routes) state.routes.set(k, rs.filter((r) => r.dev !== name));
      wg.dev = null;
    },
  };
}
