/**
 * The desired state of the WARP hop on the node, as data (pure): which devices,
 * addresses, policy routes and firewall rules, exactly as chain-recipe.md's
 * "hardening that made every outage leak-free":
 *
 *   ip rule iif warp0 lookup T            table T: default dev <tunnel>
 *                                                  blackhole default metric 4294967295
 *   FORWARD -i/-o warp0|<tunnel> -> PRIVROUTE-WARP: warp0 -> tunnel ACCEPT, replies ACCEPT, else DROP
 *   (scoped to privroute's interfaces: the host's FORWARD policy and other guests are untouched)
 *   INPUT -i warp0: replies only; nat: MASQUERADE only -o <tunnel>; mangle: TCPMSS -o <tunnel>
 *
 * IPv6 gets the same rule/table/blackhole and ip6tables treatment; without a
 * chain IPv6 subnet nothing is accepted over IPv6 at all (fail closed).
 * The state is emitted as data ({@link warpGuardNet}, {@link warpPathNet});
 * src/net reconciles it.
 */
import ipaddr from 'ipaddr.js';
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import { portByRole, type Topology } from '../topology/addressing.js';
import type { NfChain, NfRule } from '../net/netfilter.js';
import type { NetDesired } from '../net/reconcile.js';
import type { WarpTunnelModel } from './profile.js';

/** The comment the previous release marked the WARP hop's rules with (before ownership comments). */
export const LEGACY_RULE_COMMENT = 'privroute-warp';
/** Priority of the `iif warp0` policy rule (before main at 32766). */
export const RULE_PREF = 5077;
/** The blackhole's metric: the largest, so any real default wins over it. */
export const BLACKHOLE_METRIC = 4294967295;

/** Everything the node wiring needs. No secrets (the private key is passed apart). */
export interface WarpNodeSpec {
  /** The WireGuard device (wireguard-go; machine-unique name). */
  tunnel: string;
  /** The OVS internal port facing the chain (created by the OVS layer). */
  warpIf: string;
  routeTable: number;
  rulePref: number;
  /** Chain network and warp0's address in it (`10.77.0.0/24`, `10.77.0.1/24`). */
  chain4: { cidr: string; address: string };
  chain6: { cidr: string; address: string } | null;
  /** MTU of warp0 (the chain MTU). */
  chainMtu: number;
  /** The tunnel's UDP port on the node (pinned: {@link warpSocketNet} closes it to all but the edge). */
  listenPort: number;
  model: WarpTunnelModel;
}

/** The spec without the tunnel model: all the guard (firewall, policy rule, blackhole, warp0) needs. */
export type WarpGuardSpec = Omit<WarpNodeSpec, 'model'>;

/** Build the spec from the config and a tunnel model. Throws InputError on names that cannot work. */
export function warpNodeSpecFromConfig(config: Config, topo: Topology, model: WarpTunnelModel): WarpNodeSpec {
  return { ...warpGuardSpecFromConfig(config, topo), model: { ...model, mtu: config.plugins.privacy_router.warp.mtu } };
}

/** The guard's spec from the config alone (no account needed: uninstall plans its removal from it). Throws InputError as above. */
export function warpGuardSpecFromConfig(config: Config, topo: Topology): WarpGuardSpec {
  const r = config.plugins.privacy_router;
  const w = r.warp;
  const warp = portByRole(topo, 'warp');
  if (!warp) throw new InputError({ path: 'plugins.privacy_router.warp.enabled', value: w.enabled, expected: 'true for the WARP hop' });
  if (w.tunnel_interface === w.interface) {
    throw new InputError({ path: 'plugins.privacy_router.warp.tunnel_interface', value: w.tunnel_interface, expected: `a name different from warp.interface (${w.interface})` });
  }
  const n4 = ipaddr.parseCIDR(r.chain_network.subnet);
  const cidr4 = `${ipaddr.IPv4.networkAddressFromCIDR(r.chain_network.subnet).toString()}/${n4[1]}`;
  let chain6: WarpNodeSpec['chain6'] = null;
  if (r.chain_network.subnet6 && warp.ip6) {
    const n6 = ipaddr.parseCIDR(r.chain_network.subnet6);
    chain6 = { cidr: `${ipaddr.IPv6.networkAddressFromCIDR(r.chain_network.subnet6).toString()}/${n6[1]}`, address: `${warp.ip6}/${warp.prefixLen6 ?? n6[1]}` };
  }
  return {
    tunnel: w.tunnel_interface,
    warpIf: w.interface,
    routeTable: w.route_table,
    rulePref: RULE_PREF,
    chain4: { cidr: cidr4, address: `${warp.ip}/${warp.prefixLen}` },
    chain6,
    chainMtu: r.chain_network.mtu,
    listenPort: w.listen_port,
  };
}

/** The filter chain holding every forwarding decision about warp0 and the tunnel (jumped to only for them). */
export const WARP_CHAIN = 'PRIVROUTE-WARP';

/**
 * The rules the previous release installed (marked with {@link LEGACY_RULE_COMMENT}
 * instead of an ownership comment): the net reconciler removes every line that
 * carries it once the new rules are in place, and restores the FORWARD policy
 * that release set to DROP for the whole host (issue 11.7).
 */
const LEGACY = {
  comments: [LEGACY_RULE_COMMENT],
  restorePolicies: [4, 6].map((family) => ({ family: family as 4 | 6, table: 'filter' as const, chain: 'FORWARD', policy: 'ACCEPT' as const })),
};

/**
 * The firewall, policy rule, fail-closed routes and warp0 (pure): everything that
 * must hold before the tunnel exists. Scoped to privroute's interfaces only: the
 * FORWARD policy and every other guest's traffic are left as the node has them.
 *
 *   FORWARD  -i/-o warp0, -i/-o <tunnel>  -> PRIVROUTE-WARP (at the top)
 *   PRIVROUTE-WARP: warp0 -> tunnel from the chain net ACCEPT; tunnel -> warp0 replies ACCEPT; DROP
 *   INPUT    -i warp0: replies to the node's own connections (and IPv6 neighbour discovery), else DROP
 *   nat POSTROUTING MASQUERADE -s chain -o tunnel; mangle FORWARD TCPMSS -o tunnel
 *   ip rule iif warp0 lookup T; T: blackhole default (largest metric)
 */
export function warpGuardNet(s: WarpGuardSpec): NetDesired {
  const rules: NfRule[] = [];
  const chains: NfChain[] = [];
  for (const family of [4, 6] as const) {
    const net = family === 4 ? s.chain4 : s.chain6;
    chains.push({ family, table: 'filter', chain: WARP_CHAIN });
    const inChain = (spec: string[]): NfRule => ({ family, table: 'filter', chain: WARP_CHAIN, spec });
    if (net) {
      rules.push(inChain(['-i', s.warpIf, '-o', s.tunnel, '-s', net.cidr, '-j', 'ACCEPT']));
      rules.push(inChain(['-i', s.tunnel, '-o', s.warpIf, '-d', net.cidr, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']));
    }
    rules.push(inChain(['-j', 'DROP']));
    for (const dir of ['-i', '-o']) for (const dev of [s.warpIf, s.tunnel]) rules.push({ family, table: 'filter', chain: 'FORWARD', spec: [dir, dev, '-j', WARP_CHAIN] });
    // The node itself is not a destination for the chain (issue 11.15): only replies to its own connections.
    rules.push({ family, table: 'filter', chain: 'INPUT', spec: ['-i', s.warpIf, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] });
    if (family === 6) {
      // CT101 resolves warp0's IPv6 address: neighbour solicitations/advertisements must reach the node.
      for (const t of ['135', '136']) rules.push({ family, table: 'filter', chain: 'INPUT', spec: ['-i', s.warpIf, '-p', 'ipv6-icmp', '-m', 'icmp6', '--icmpv6-type', t, '-j', 'ACCEPT'] });
    }
    rules.push({ family, table: 'filter', chain: 'INPUT', spec: ['-i', s.warpIf, '-j', 'DROP'] });
    if (net) {
      rules.push({ family, table: 'mangle', chain: 'FORWARD', spec: ['-o', s.tunnel, '-p', 'tcp', '-m', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu'] });
      rules.push({ family, table: 'nat', chain: 'POSTROUTING', spec: ['-s', net.cidr, '-o', s.tunnel, '-j', 'MASQUERADE'] });
    }
  }
  return {
    owner: 'warp',
    chains,
    rules,
    ipRules: ([4, 6] as const).map((family) => ({ family, priority: s.rulePref, iif: s.warpIf, table: s.routeTable })),
    routes: ([4, 6] as const).map((family) => ({ family, table: s.routeTable, dst: 'default', type: 'blackhole' as const, metric: BLACKHOLE_METRIC })),
    links: [{ name: s.warpIf, mtu: s.chainMtu, addrs: [s.chain4.address, ...(s.chain6 ? [s.chain6.address] : [])], up: true }],
    legacy: LEGACY,
  };
}

/**
 * The tunnel's side (pure), applied once wireguard-go runs: its MTU, addresses
 * (stale ones pruned after the new are added), the policy table's default via
 * the tunnel per family it carries, and forwarding — last.
 */
export function warpPathNet(s: WarpNodeSpec): NetDesired {
  const families = ([4, 6] as const).filter((f) => (f === 4 ? s.model.address4 : s.model.address6));
  return {
    // Its own owner name: it holds no netfilter state, and must never prune the guard's.
    owner: 'warp-tunnel',
    links: [{ name: s.tunnel, mtu: s.model.mtu, addrs: [s.model.address4, s.model.address6].filter((a): a is string => a !== null), up: true, prune: true }],
    routes: families.map((family) => ({ family, table: s.routeTable, dst: 'default', dev: s.tunnel })),
    sysctls: [{ key: 'net.ipv4.ip_forward', value: '1' }, ...(s.chain6 ? [{ key: 'net.ipv6.conf.all.forwarding', value: '1' }] : [])],
  };
}

/** The owner of {@link warpSocketNet}'s rules: apart from the guard's, as they follow the resolved edge address. */
export const WARP_SOCKET_OWNER = 'warp-socket';

/**
 * The node's WARP socket closed to everyone but the WARP edge (pure).
 *
 * wireguard-go binds its UDP port on every address of the node, the uplink's
 * included. WireGuard answers nothing unauthenticated, but a scan of the uplink
 * still finds the port open|filtered (issue 13). One INPUT rule per family
 * rejects what reaches the pinned port from anywhere but the edge's address,
 * with the answer the kernel gives for a closed port, so a scan sees it closed.
 * It matches that port only, so nothing else the host receives changes; the
 * edge's replies (from `edge`, an `ip:port` or `[ip6]:port`) pass as before.
 */
export function warpSocketNet(listenPort: number, edge: string): NetDesired {
  const host = edge.startsWith('[') ? edge.slice(1, edge.indexOf(']')) : edge.slice(0, edge.lastIndexOf(':'));
  const edgeFamily = ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4;
  const rules: NfRule[] = ([4, 6] as const).map((family) => ({
    family,
    table: 'filter',
    chain: 'INPUT',
    spec: [
      ...(family === edgeFamily ? ['!', '-s', `${host}/${family === 4 ? 32 : 128}`] : []),
      '-p', 'udp', '-m', 'udp', '--dport', String(listenPort),
      '-j', 'REJECT', '--reject-with', family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable',
    ],
  }));
  return { owner: WARP_SOCKET_OWNER, rules };
}
