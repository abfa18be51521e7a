/**
 * The desired state of the WARP hop on the node, as data (pure): which devices,
 * addresses, policy routes and firewall rules, exactly as chain-recipe.md's
 * "hardening that made every outage leak-free":
 *
 *   ip rule iif warp0 lookup T            table T: default dev <tunnel>
 *                                                  blackhole default metric 4294967295
 *   FORWARD policy DROP; -i warp0 -o <tunnel> ACCEPT; -i <tunnel> -o warp0 ESTABLISHED,RELATED ACCEPT;
 *   then explicit -i warp0 DROP / -o warp0 DROP (so a foreign ACCEPT further down cannot open a bypass)
 *   nat: MASQUERADE only -o <tunnel>;  mangle: TCPMSS --clamp-mss-to-pmtu -o <tunnel>
 *
 * IPv6 gets the same rule/table/blackhole and ip6tables treatment; without a
 * chain IPv6 subnet nothing is accepted over IPv6 at all (fail closed).
 */
import ipaddr from 'ipaddr.js';
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import { portByRole, type Topology } from '../topology/addressing.js';
import { iptablesBin, type NfRule } from '../net/netfilter.js';
import type { WarpTunnelModel } from './profile.js';

/** Marks every iptables rule privroute's WARP hop owns. */
export const RULE_COMMENT = 'privroute-warp';
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
  model: WarpTunnelModel;
}

/** One iptables rule: family, table, chain, and the rule spec (without -A/-I/-C); the shared netfilter rule shape. */
export type FwRule = NfRule;

/** A route in the policy table, as data. */
export interface PolicyRoute {
  family: 4 | 6;
  kind: 'dev' | 'blackhole';
}

/** Build the spec from the config and a tunnel model. Throws InputError on names that cannot work. */
export function warpNodeSpecFromConfig(config: Config, topo: Topology, model: WarpTunnelModel): WarpNodeSpec {
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
    model: { ...model, mtu: w.mtu },
  };
}

const C = ['-m', 'comment', '--comment', RULE_COMMENT];

/** The firewall rules, in the order they must appear (pure). */
export function desiredFirewall(s: WarpNodeSpec): FwRule[] {
  const out: FwRule[] = [];
  for (const family of [4, 6] as const) {
    const chain = family === 4 ? s.chain4 : s.chain6;
    const fwd: string[][] = [];
    if (chain) {
      fwd.push(['-i', s.warpIf, '-o', s.tunnel, '-s', chain.cidr, ...C, '-j', 'ACCEPT']);
      fwd.push(['-i', s.tunnel, '-o', s.warpIf, '-d', chain.cidr, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...C, '-j', 'ACCEPT']);
    }
    // Explicit drops after our accepts: fail closed even if another rule further down accepts.
    fwd.push(['-i', s.warpIf, ...C, '-j', 'DROP']);
    fwd.push(['-o', s.warpIf, ...C, '-j', 'DROP']);
    for (const spec of fwd) out.push({ family, table: 'filter', chain: 'FORWARD', spec });
    if (chain) {
      out.push({ family, table: 'mangle', chain: 'FORWARD', spec: ['-o', s.tunnel, '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', ...C, '-j', 'TCPMSS', '--clamp-mss-to-pmtu'] });
      out.push({ family, table: 'nat', chain: 'POSTROUTING', spec: ['-s', chain.cidr, '-o', s.tunnel, ...C, '-j', 'MASQUERADE'] });
    }
  }
  return out;
}

/** Which policy-table routes should exist (pure): the blackhole always, the tunnel default when the tunnel has that family. */
export function desiredPolicyRoutes(s: WarpNodeSpec): PolicyRoute[] {
  const r: PolicyRoute[] = [{ family: 4, kind: 'blackhole' }, { family: 6, kind: 'blackhole' }];
  if (s.model.address4) r.push({ family: 4, kind: 'dev' });
  if (s.model.address6) r.push({ family: 6, kind: 'dev' });
  return r;
}

/** argv prefix for a family's iptables (the shared {@link iptablesBin}). */
export const iptablesCmd = iptablesBin;

/** argv adding one policy-table route. */
export function routeArgv(s: WarpNodeSpec, r: PolicyRoute): string[] {
  const fam = r.family === 4 ? '-4' : '-6';
  return r.kind === 'blackhole'
    ? ['ip', fam, 'route', 'add', 'blackhole', 'default', 'metric', String(BLACKHOLE_METRIC), 'table', String(s.routeTable)]
    : ['ip', fam, 'route', 'add', 'default', 'dev', s.tunnel, 'table', String(s.routeTable)];
}
