/**
 * A fake node for the warp reconcile tests: models the kernel/iptables state the
 * WARP hop touches (links, rules, policy routes, firewall rules, sysctls) and a
 * fake wireguard-go (UAPI). Any command outside the model fails the test.
 */
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import type { WgControl } from '../../../src/warp/node-observe.js';
import type { UapiDevice, UapiSet } from '../../../src/warp/uapi.js';

export interface Link { up: boolean; mtu: number; addrs: string[] }
export interface NodeState {
  links: Map<string, Link>;
  rules: { 4: string[]; 6: string[] };
  routes: { 4: string[]; 6: string[] };
  policy: { 4: string; 6: string };
  fw: Map<string, string[]>;
  sysctl: Record<string, string>;
}

export class FakeWg implements WgControl {
  dev: UapiDevice | null = null;
  sets: UapiSet[] = [];
  async alive(): Promise<boolean> { return this.dev !== null; }
  async get(): Promise<UapiDevice> {
    if (!this.dev) throw new Error('no socket');
    return structuredClone(this.dev);
  }
  async set(op: UapiSet): Promise<void> {
    if (!this.dev) throw new Error('no socket');
    this.sets.push(op);
    if (op.privateKey) this.dev.privateKey = op.privateKey;
    if (op.replacePeers) this.dev.peers = [];
    for (const p of op.peers ?? []) {
      this.dev.peers = this.dev.peers.filter((x) => x.publicKey !== p.publicKey);
      if (!p.remove) this.dev.peers.push({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: [...p.allowedIps], lastHandshakeSec: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: p.persistentKeepalive ?? 0 });
    }
  }
}

export function fakeNode(opts: { warpIf?: string | null } = {}): { exec: FakeHostExec<NodeState>; wg: FakeWg; state: NodeState; killTunnel(name: string): void } {
  const state: NodeState = {
    links: new Map([['lo', { up: true, mtu: 65536, addrs: ['127.0.0.1/8'] }]]),
    rules: { 4: [], 6: [] },
    routes: { 4: [], 6: [] },
    policy: { 4: 'ACCEPT', 6: 'ACCEPT' },
    fw: new Map(),
    sysctl: { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0' },
  };
  if (opts.warpIf !== null) state.links.set(opts.warpIf ?? 'warp0', { up: false, mtu: 1500, addrs: [] });
  const wg = new FakeWg();
  const fam = (s: string): 4 | 6 => (s === '-6' || s === 'ip6tables' ? 6 : 4);
  const any = { times: 'any' as const };
  const exec = new FakeHostExec<NodeState>({ target: 'fake-node', state })
    .on(['ip', '-j', 'addr', 'show'], () =>
      JSON.stringify([...state.links].map(([ifname, l]) => ({
        ifname, flags: l.up ? ['UP'] : [], mtu: l.mtu,
        addr_info: l.addrs.map((a) => ({ family: a.includes(':') ? 'inet6' : 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]), scope: 'global' })),
      }))), any)
    .on(['ip', /^-[46]$/, '-j', 'rule', 'show'], ({ captures: [f] }) =>
      JSON.stringify(state.rules[fam(f!)].map((r) => ({ priority: Number(r.split('/')[2]), iif: r.split('/')[0], table: r.split('/')[1] }))), any)
    .on(['ip', /^-[46]$/, '-j', 'route', 'show', 'table', /^\d+$/], ({ captures: [f] }) =>
      JSON.stringify(state.routes[fam(f!)].map((r) => (r === 'blackhole' ? { type: 'blackhole', dst: 'default', metric: 4294967295, flags: [] } : { dst: 'default', dev: r.slice(4), scope: 'link', flags: [] }))), any)
    .on(['ip', /^-[46]$/, '-j', 'route', 'show', 'default'], () => '[]', any)
    .on(['test', '-c', '/dev/net/tun'], () => ({ code: 0 }), any)
    .on(['test', '-d', '/sys/module/wireguard'], () => ({ code: 1 }), any)
    .on(['wireguard-go', '--version'], () => 'wireguard-go v0.0.20220316\n', any)
    .on([/^ip6?tables$/, '-w', '-S', 'FORWARD'], ({ captures: [c] }) => `-P FORWARD ${state.policy[fam(c!)]}\n`, any)
    .on([/^ip6?tables$/, '-w', '-P', 'FORWARD', 'DROP'], ({ captures: [c] }) => void (state.policy[fam(c!)] = 'DROP'), any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-C', /^\w+$/, REST], ({ captures: [c, t, ch, ...spec] }) =>
      ({ code: (state.fw.get(`${fam(c!)}/${t}/${ch}`) ?? []).includes(spec.join(' ')) ? 0 : 1 }), any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-I', /^\w+$/, /^\d+$/, REST], ({ captures: [c, t, ch, pos, ...spec] }) => {
      const k = `${fam(c!)}/${t}/${ch}`;
      const l = state.fw.get(k) ?? [];
      l.splice(Number(pos) - 1, 0, spec.join(' '));
      state.fw.set(k, l);
    }, any)
    .on(['sysctl', '-n', /.+/], ({ captures: [k] }) => state.sysctl[k!] ?? '0', any)
    .on(['sysctl', '-w', /.+=.+/], ({ captures: [kv] }) => void (state.sysctl[kv!.split('=')[0]!] = kv!.split('=')[1]!), any)
    .on(['ip', /^-[46]$/, 'rule', 'add', 'pref', /^\d+$/, 'iif', /.+/, 'lookup', /^\d+$/], ({ captures: [f, p, dev, t] }) => void state.rules[fam(f!)].push(`${dev}/${t}/${p}`), any)
    .on(['ip', /^-[46]$/, 'route', 'add', REST], ({ captures: [f, ...rest] }) => {
      const r = rest[0] === 'blackhole' ? 'blackhole' : `dev:${rest[rest.indexOf('dev') + 1]}`;
      if (r.startsWith('dev:') && !state.links.has(r.slice(4))) return { code: 1, stderr: 'Cannot find device' };
      if (state.routes[fam(f!)].includes(r)) return { code: 2, stderr: 'RTNETLINK answers: File exists' };
      state.routes[fam(f!)].push(r);
    }, any)
    .on(['wireguard-go', /.+/], ({ captures: [n] }) => {
      state.links.set(n!, { up: false, mtu: 1420, addrs: [] });
      wg.dev = { peers: [] };
    }, any)
    .on(['ip', 'link', 'set', 'dev', /.+/, 'mtu', /^\d+$/], ({ captures: [n, m] }) => void (state.links.get(n!)!.mtu = Number(m)), any)
    .on(['ip', 'link', 'set', 'dev', /.+/, 'up'], ({ captures: [n] }) => void (state.links.get(n!)!.up = true), any)
    .on(['ip', 'addr', 'add', /.+/, 'dev', /.+/], ({ captures: [a, n] }) => {
      const l = state.links.get(n!)!;
      if (l.addrs.includes(a!)) return { code: 2, stderr: 'RTNETLINK answers: File exists' };
      l.addrs.push(a!);
    }, any)
    .on(['ip', 'addr', 'del', /.+/, 'dev', /.+/], ({ captures: [a, n] }) => void (state.links.get(n!)!.addrs = state.links.get(n!)!.addrs.filter((x) => x !== a)), any);
  return {
    exec,
    wg,
    state,
    // wireguard-go dying: its TUN disappears and with it every route through it.
    killTunnel(name: string) {
      state.links.delete(name);
      for (const f of [4, 6] as const) state.routes[f] = state.routes[f].filter((r) => r !== `dev:${name}`);
      wg.dev = null;
    },
  };
}
