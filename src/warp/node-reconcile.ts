/**
 * Reconcile the WARP hop (pure): desired spec + observed state -> ordered changes.
 *
 * The order is the fail-closed order: firewall policy and drops, then the policy
 * rule and its blackhole, and only then the tunnel, its default route, warp0's
 * address and forwarding. Every change is an add guarded by the observation
 * (check before add); nothing is flushed. Stale tunnel addresses are deleted
 * after the new ones are added.
 */
import type { Change } from '../core/runner.js';
import { desiredFirewall, desiredPolicyRoutes, iptablesCmd, routeArgv, type WarpNodeSpec } from './node-spec.js';
import type { WarpNodeObserved } from './node-observe.js';
import { publicKeyOf } from './keys.js';

/** One change. `uapi` changes carry no key: apply builds the op from the secret it holds. */
export type WarpNodeChange = Change &
  (
    | { kind: 'run'; argv: string[] }
    | { kind: 'launch-tunnel'; argv: string[] }
    | { kind: 'uapi'; peer: string; endpoint: string }
  );

const run = (describe: string, argv: string[]): WarpNodeChange => ({ kind: 'run', describe, argv });

/** True when the tunnel's UAPI state already is what the spec asks for. */
export function uapiConverged(spec: WarpNodeSpec, o: WarpNodeObserved, privateKey: string): boolean {
  const u = o.uapi;
  // Compare by public key: wireguard-go clamps the private key it is given and reports the clamped form.
  if (!u || !u.privateKey || publicKeyOf(u.privateKey) !== publicKeyOf(privateKey) || u.peers.length !== 1) return false;
  const p = u.peers[0]!;
  const want = new Set(spec.model.peer.allowedIps);
  return (
    p.publicKey === spec.model.peer.publicKey &&
    p.endpoint === o.endpoint &&
    p.allowedIps.length === want.size &&
    p.allowedIps.every((a) => want.has(a)) &&
    p.persistentKeepalive === spec.model.peer.persistentKeepalive
  );
}

/** desired + observed -> changes (pure). `privateKey` is only compared, never copied into a change. */
export function reconcileWarpNode(spec: WarpNodeSpec, o: WarpNodeObserved, privateKey: string): WarpNodeChange[] {
  const ch: WarpNodeChange[] = [];
  const table = String(spec.routeTable);

  // 1. Firewall: policy DROP first, then our rules in their order (inserted at their position).
  for (const f of [4, 6] as const) {
    if (o.forwardPolicy[f] !== 'DROP') ch.push(run(`${iptablesCmd(f)} FORWARD policy DROP`, [iptablesCmd(f), '-w', '-P', 'FORWARD', 'DROP']));
  }
  const rules = desiredFirewall(spec);
  const pos = new Map<string, number>();
  rules.forEach((r, i) => {
    const k = `${r.family}/${r.table}/${r.chain}`;
    const at = (pos.get(k) ?? 0) + 1;
    pos.set(k, at);
    if (!o.rulesPresent[i]) {
      ch.push(run(`${iptablesCmd(r.family)} -t ${r.table} ${r.chain} #${at}: ${r.spec.filter((x) => x !== '-m' && x !== 'comment' && x !== '--comment').join(' ')}`,
        [iptablesCmd(r.family), '-w', '-t', r.table, '-I', r.chain, String(at), ...r.spec]));
    }
  });

  // 2. Policy routing: iif rule and the blackhole, before anything can be routed.
  for (const f of [4, 6] as const) {
    if (!o.iifRule[f]) {
      ch.push(run(`ip -${f} rule iif ${spec.warpIf} lookup ${table}`, ['ip', `-${f}`, 'rule', 'add', 'pref', String(spec.rulePref), 'iif', spec.warpIf, 'lookup', table]));
    }
  }
  const has = (family: 4 | 6, kind: 'dev' | 'blackhole'): boolean => o.routes.some((r) => r.family === family && r.kind === kind);
  const wantRoutes = desiredPolicyRoutes(spec);
  for (const r of wantRoutes.filter((x) => x.kind === 'blackhole')) {
    if (!has(r.family, 'blackhole')) ch.push(run(`ip -${r.family} route blackhole default table ${table}`, routeArgv(spec, r)));
  }

  // 3. The tunnel: wireguard-go, then key + peer in one UAPI set, then link settings.
  const relaunch = o.tunnel === null || o.uapi === null;
  if (relaunch) ch.push({ kind: 'launch-tunnel', describe: `start wireguard-go ${spec.tunnel}`, argv: ['wireguard-go', spec.tunnel] });
  if (relaunch || !uapiConverged(spec, o, privateKey)) {
    ch.push({ kind: 'uapi', describe: `set ${spec.tunnel} key + peer ${spec.model.peer.publicKey.slice(0, 8)}… endpoint ${o.endpoint}`, peer: spec.model.peer.publicKey, endpoint: o.endpoint });
  }
  const t = relaunch ? { up: false, mtu: 0, addrs: [] as string[] } : o.tunnel!;
  if (t.mtu !== spec.model.mtu) ch.push(run(`${spec.tunnel} mtu ${spec.model.mtu}`, ['ip', 'link', 'set', 'dev', spec.tunnel, 'mtu', String(spec.model.mtu)]));
  const wantAddrs = [spec.model.address4, spec.model.address6].filter((a): a is string => a !== null);
  for (const a of wantAddrs) {
    if (!t.addrs.includes(a)) ch.push(run(`${spec.tunnel} add address ${a}`, ['ip', 'addr', 'add', a, 'dev', spec.tunnel]));
  }
  if (!t.up) ch.push(run(`${spec.tunnel} up`, ['ip', 'link', 'set', 'dev', spec.tunnel, 'up']));
  for (const a of t.addrs) {
    if (!wantAddrs.includes(a)) ch.push(run(`${spec.tunnel} delete stale address ${a}`, ['ip', 'addr', 'del', a, 'dev', spec.tunnel]));
  }
  // The tunnel's default route dies with its TUN: re-added after every wireguard-go restart.
  for (const r of wantRoutes.filter((x) => x.kind === 'dev')) {
    if (relaunch || !has(r.family, 'dev')) ch.push(run(`ip -${r.family} route default dev ${spec.tunnel} table ${table}`, routeArgv(spec, r)));
  }

  // 4. warp0: created by the OVS layer; here it gets its chain address, MTU, and is set up.
  const w = o.warpIf!;
  if (w.mtu !== spec.chainMtu) ch.push(run(`${spec.warpIf} mtu ${spec.chainMtu}`, ['ip', 'link', 'set', 'dev', spec.warpIf, 'mtu', String(spec.chainMtu)]));
  for (const a of [spec.chain4.address, spec.chain6?.address].filter((x): x is string => !!x)) {
    if (!w.addrs.includes(a)) ch.push(run(`${spec.warpIf} add address ${a}`, ['ip', 'addr', 'add', a, 'dev', spec.warpIf]));
  }
  if (!w.up) ch.push(run(`${spec.warpIf} up`, ['ip', 'link', 'set', 'dev', spec.warpIf, 'up']));

  // 5. Forwarding last: by now every path out of warp0 is either the tunnel or a drop.
  if (o.forwarding[4] !== '1') ch.push(run('net.ipv4.ip_forward=1', ['sysctl', '-w', 'net.ipv4.ip_forward=1']));
  if (spec.chain6 && o.forwarding[6] !== '1') ch.push(run('net.ipv6.conf.all.forwarding=1', ['sysctl', '-w', 'net.ipv6.conf.all.forwarding=1']));
  return ch;
}
