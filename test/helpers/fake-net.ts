/**
 * A fake network stack for unit tests of the net reconciler and the hops that
 * emit desired state to it: a FakeHostExec that models the *state* iptables /
 * ip6tables (chains, ordered rules, policies), `ip rule`, `ip route` (per table,
 * replace keyed by dst+metric), links (MTU, addresses, up) and sysctls keep, and
 * answers the argv src/net builds. Any other argv fails the test (extend with
 * `.on(...)` for hop-specific commands).
 */
import { FakeHostExec, REST } from '../../src/host/fake.js';

export interface FakeLink { up: boolean; mtu: number; addrs: string[] }
export interface FakeRule { priority: number; iif?: string; src?: string; table: string }
export interface FakeRoute { dst: string; type?: string; gateway?: string; dev?: string; metric?: number }
export interface FakeChain { builtin: boolean; policy?: string; lines: string[] }

/** The modelled state of one network namespace. */
export interface NetState {
  /** key `${family}/${table}/${chain}`; rules as their argv joined by spaces (the comment unquoted). */
  chains: Map<string, FakeChain>;
  rules: { 4: FakeRule[]; 6: FakeRule[] };
  /** key `${family}/${table}` */
  routes: Map<string, FakeRoute[]>;
  links: Map<string, FakeLink>;
  sysctl: Record<string, string>;
}

const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/** A fresh namespace: built-in chains empty with policy ACCEPT, no rules or routes, forwarding off. */
export function emptyNetState(links: Record<string, FakeLink> = {}): NetState {
  const chains = new Map<string, FakeChain>();
  for (const f of [4, 6]) for (const [t, cs] of Object.entries(BUILTIN)) for (const c of cs) chains.set(`${f}/${t}/${c}`, { builtin: true, policy: 'ACCEPT', lines: [] });
  return {
    chains,
    rules: { 4: [], 6: [] },
    routes: new Map(),
    links: new Map([['lo', { up: true, mtu: 65536, addrs: ['127.0.0.1/8'] }], ...Object.entries(links)]),
    sysctl: { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0' },
  };
}

const fam = (s: string): 4 | 6 => (s === '-6' || s === 'ip6tables' ? 6 : 4);
const any = { times: 'any' as const };

/** `iptables -S` text of one chain, as the real tool prints it (comments quoted). */
export function listing(c: FakeChain, name: string): string {
  const head = c.builtin ? `-P ${name} ${c.policy}` : `-N ${name}`;
  return [head, ...c.lines.map((l) => `-A ${name} ${l.replace(/--comment (\S+)/, '--comment "$1"')}`)].join('\n') + '\n';
}

/** A FakeHostExec over `state` answering every argv src/net builds. */
export function fakeNet(state: NetState = emptyNetState(), target = 'fake-net'): FakeHostExec<NetState> {
  return withNet(new FakeHostExec<NetState>({ target, state }), state);
}

/** Register the network stack's handlers over `state` on any fake (a VPS fake models more than the network). */
export function withNet<S>(fake: FakeHostExec<S>, state: NetState): FakeHostExec<S> {
  const chain = (c: string, t: string, ch: string) => state.chains.get(`${fam(c)}/${t}/${ch}`);
  const routes = (f: string, t: string) => {
    const k = `${fam(f)}/${t}`;
    if (!state.routes.has(k)) state.routes.set(k, []);
    return state.routes.get(k)!;
  };
  return fake
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-S'], ({ captures: [c, t] }) => {
      const mine = [...state.chains].filter(([k]) => k.startsWith(`${fam(c!)}/${t}/`)).map(([k, x]) => [k.split('/')[2]!, x] as const);
      const head = mine.map(([n, x]) => (x.builtin ? `-P ${n} ${x.policy}` : `-N ${n}`));
      const body = mine.flatMap(([n, x]) => listing(x, n).split('\n').filter((l) => l.startsWith('-A ')));
      return [...head, ...body].join('\n') + '\n';
    }, any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-S', /^[\w-]+$/], ({ captures: [c, t, ch] }) => {
      const x = chain(c!, t!, ch!);
      return x ? listing(x, ch!) : { code: 1, stderr: `iptables: No chain/target/match by that name.` };
    }, any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-N', /^[\w-]+$/], ({ captures: [c, t, ch] }) => {
      if (chain(c!, t!, ch!)) return { code: 1, stderr: 'iptables: Chain already exists.' };
      state.chains.set(`${fam(c!)}/${t}/${ch}`, { builtin: false, lines: [] });
    }, any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-X', /^[\w-]+$/], ({ captures: [c, t, ch] }) => void state.chains.delete(`${fam(c!)}/${t}/${ch}`), any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-P', /^[\w-]+$/, /^(ACCEPT|DROP)$/], ({ captures: [c, t, ch, p] }) => void (chain(c!, t!, ch!)!.policy = p), any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-I', /^[\w-]+$/, /^\d+$/, REST], ({ captures: [c, t, ch, pos, ...spec] }) => {
      const x = chain(c!, t!, ch!);
      if (!x) return { code: 1, stderr: 'iptables: No chain/target/match by that name.' };
      if (Number(pos) > x.lines.length + 1) return { code: 1, stderr: 'iptables: Index of insertion too big.' };
      x.lines.splice(Number(pos) - 1, 0, spec.join(' '));
    }, any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-A', /^[\w-]+$/, REST], ({ captures: [c, t, ch, ...spec] }) => void chain(c!, t!, ch!)!.lines.push(spec.join(' ')), any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-C', /^[\w-]+$/, REST], ({ captures: [c, t, ch, ...spec] }) => {
      const x = chain(c!, t!, ch!);
      return { code: x ? (x.lines.includes(spec.join(' ')) ? 0 : 1) : 2 };
    }, any)
    .on([/^ip6?tables$/, '-w', '-t', /^\w+$/, '-D', /^[\w-]+$/, REST], ({ captures: [c, t, ch, ...spec] }) => {
      const x = chain(c!, t!, ch!);
      // `-D CHAIN N` deletes by number; otherwise the first rule that matches exactly.
      const i = !x ? -1 : spec.length === 1 && /^\d+$/.test(spec[0]!) ? (Number(spec[0]) <= x.lines.length ? Number(spec[0]) - 1 : -1) : x.lines.indexOf(spec.join(' '));
      if (i < 0) return { code: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
      x!.lines.splice(i, 1);
    }, any)
    .on(['ip', /^-[46]$/, '-j', 'rule', 'show'], ({ captures: [f] }) => JSON.stringify(state.rules[fam(f!)]), any)
    .on(['ip', /^-[46]$/, 'rule', /^(add|del)$/, 'priority', /^\d+$/, REST], ({ captures: [f, op, p, ...rest] }) => {
      const r: FakeRule = { priority: Number(p), table: '' };
      for (let i = 0; i < rest.length; i += 2) {
        if (rest[i] === 'iif') r.iif = rest[i + 1];
        else if (rest[i] === 'from') r.src = rest[i + 1];
        else if (rest[i] === 'lookup') r.table = rest[i + 1]!;
        else throw new Error(`fake ip rule: unmodelled ${rest[i]}`);
      }
      const list = state.rules[fam(f!)];
      const same = (x: FakeRule) => x.priority === r.priority && x.iif === r.iif && x.src === r.src && x.table === r.table;
      if (op === 'add') list.push(r);
      else {
        const i = list.findIndex(same);
        if (i < 0) return { code: 2, stderr: 'RTNETLINK answers: No such file or directory' };
        list.splice(i, 1);
      }
    }, any)
    .on(['ip', /^-[46]$/, '-j', 'route', 'show', 'table', /^\w+$/], ({ captures: [f, t] }) => JSON.stringify(routes(f!, t!)), any)
    .on(['ip', /^-[46]$/, 'route', /^(replace|del)$/, REST], ({ captures: [f, op, ...rest] }) => {
      const r: FakeRoute = { dst: '' };
      let table = 'main';
      let i = 0;
      if (rest[0] === 'blackhole' || rest[0] === 'unreachable') r.type = rest[i++];
      r.dst = rest[i++]!;
      for (; i < rest.length; i += 2) {
        const v = rest[i + 1]!;
        if (rest[i] === 'via') r.gateway = v;
        else if (rest[i] === 'dev') r.dev = v;
        else if (rest[i] === 'metric') r.metric = Number(v);
        else if (rest[i] === 'table') table = v;
        else throw new Error(`fake ip route: unmodelled ${rest[i]}`);
      }
      if (op === 'replace' && r.dev && !state.links.get(r.dev)?.up) return { code: 2, stderr: 'Error: Device for nexthop is not up.' };
      if (fam(f!) === 6 && r.metric === undefined) r.metric = 1024; // as the kernel does
      const list = routes(f!, table);
      const i2 = list.findIndex((x) => x.dst === r.dst && (x.metric ?? 0) === (r.metric ?? 0) && (op === 'replace' || (x.type === r.type && (!r.dev || x.dev === r.dev))));
      if (op === 'del') {
        if (i2 < 0) return { code: 2, stderr: 'RTNETLINK answers: No such process' };
        list.splice(i2, 1);
      } else if (i2 >= 0) list.splice(i2, 1, r);
      else list.push(r);
    }, any)
    .on(['ip', '-j', 'addr', 'show', 'dev', /.+/], ({ captures: [n] }) => {
      const l = state.links.get(n!);
      if (!l) return { code: 1, stderr: `Device "${n}" does not exist.` };
      return JSON.stringify([{
        ifname: n, flags: l.up ? ['UP'] : [], mtu: l.mtu,
        addr_info: l.addrs.map((a) => ({ family: a.includes(':') ? 'inet6' : 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]), scope: 'global' })),
      }]);
    }, any)
    .on(['ip', 'link', 'set', 'dev', /.+/, 'mtu', /^\d+$/], ({ captures: [n, m] }) => {
      const l = state.links.get(n!);
      if (!l) return { code: 1, stderr: `Cannot find device "${n}"` };
      l.mtu = Number(m);
    }, any)
    .on(['ip', 'link', 'set', 'dev', /.+/, 'up'], ({ captures: [n] }) => {
      const l = state.links.get(n!);
      if (!l) return { code: 1, stderr: `Cannot find device "${n}"` };
      l.up = true;
    }, any)
    .on(['ip', 'addr', 'replace', /.+/, 'dev', /.+/], ({ captures: [a, n] }) => {
      const l = state.links.get(n!);
      if (!l) return { code: 1, stderr: `Cannot find device "${n}"` };
      if (!l.addrs.includes(a!)) l.addrs.push(a!);
    }, any)
    .on(['ip', 'addr', 'del', /.+/, 'dev', /.+/], ({ captures: [a, n] }) => void (state.links.get(n!)!.addrs = state.links.get(n!)!.addrs.filter((x) => x !== a)), any)
    .on(['sysctl', '-n', /.+/], ({ captures: [k] }) => (k! in state.sysctl ? state.sysctl[k!]! : { code: 255, stderr: `sysctl: cannot stat /proc/sys/${k}` }), any)
    .on(['sysctl', '-q', '-w', /.+=.+/], ({ captures: [kv] }) => void (state.sysctl[kv!.split('=')[0]!] = kv!.split('=')[1]!), any);
}
