/**
 * The node's ingress to the gateway, as data (pure): UDP arriving on the uplink
 * for one of the uplink's own addresses at `listen_port` is DNATed to CT100's
 * chain address and SNATed to the ingress port's address, and leaves through the
 * ingress port (an OVS internal port on the chain bridge, chain .3). Nothing else
 * is forwarded in either direction. Why this shape: docs/ingress.md.
 *
 *   nat PREROUTING   -i <uplink> dst-type LOCAL (uplink's own) udp dport LP -> DNAT <gw>:LP
 *   nat POSTROUTING  -o <ingress> -d <gw> udp dport LP -> SNAT <ingress ip>
 *   FORWARD          -i/-o <ingress> -> PRIVROUTE-INGRESS:
 *                      uplink -> ingress, udp to <gw>:LP, ctstate DNAT: ACCEPT
 *                      ingress -> uplink, udp from <gw>:LP, ESTABLISHED (the replies): ACCEPT
 *                      DROP (no ICMP errors, nothing else)
 *   INPUT            -i <ingress> DROP (the node is no destination from the chain)
 *   OUTPUT           ICMP RELATED to an ingress session DROP (a gateway that is down does
 *                    not make the node answer "unreachable" on its behalf)
 *   main table       <gw>/32 dev <ingress> (the ingress port holds a /32: warp0 keeps the subnet)
 *
 * IPv6 is the same with ip6tables when the chain has an IPv6 subnet (the gateway
 * then listens on its chain IPv6 address too); without one nothing is forwarded over IPv6.
 */
import type { Config } from '../config/types.js';
import type { NfChain, NfFamily, NfRule } from '../net/netfilter.js';
import type { NetDesired } from '../net/reconcile.js';
import { portByRole, type Topology } from '../topology/addressing.js';

/** The filter chain holding every forwarding decision about the ingress port. */
export const INGRESS_CHAIN = 'PRIVROUTE-INGRESS';

/** One family of the ingress: the gateway's and the ingress port's chain addresses. */
export interface IngressFamily {
  family: NfFamily;
  gatewayIp: string;
  ingressIp: string;
}

/** Everything the node's ingress needs (pure data). */
export interface IngressDesired {
  uplink: string;
  port: string;
  listenPort: number;
  mtu: number;
  families: IngressFamily[];
}

/** The ingress for this config and topology, or null when there is none (no uplink, no gateway). */
export function ingressDesired(config: Config, topo: Topology): IngressDesired | null {
  const r = config.plugins.privacy_router;
  const port = portByRole(topo, 'ingress');
  const gw = portByRole(topo, 'gateway');
  if (!r.wireguard.uplink || !port || !gw) return null;
  const families: IngressFamily[] = [{ family: 4, gatewayIp: gw.ip, ingressIp: port.ip }];
  if (gw.ip6 && port.ip6) families.push({ family: 6, gatewayIp: gw.ip6, ingressIp: port.ip6 });
  return { uplink: r.wireguard.uplink, port: port.name, listenPort: r.wireguard.listen_port, mtu: r.chain_network.mtu, families };
}

const host = (f: IngressFamily, ip: string) => `${ip}/${f.family === 4 ? 32 : 128}`;
const bracket = (f: IngressFamily, ip: string) => (f.family === 4 ? ip : `[${ip}]`);

/** The node's ingress as data for the net reconciler (pure; owner `ingress`). */
export function ingressNet(d: IngressDesired): NetDesired {
  const chains: NfChain[] = [];
  const rules: NfRule[] = [];
  const lp = String(d.listenPort);
  for (const f of d.families) {
    const family = f.family;
    const gw = host(f, f.gatewayIp);
    const icmp = family === 4 ? 'icmp' : 'ipv6-icmp';
    chains.push({ family, table: 'filter', chain: INGRESS_CHAIN });
    const inChain = (spec: string[]): NfRule => ({ family, table: 'filter', chain: INGRESS_CHAIN, spec });
    rules.push(inChain(['-i', d.uplink, '-o', d.port, '-d', gw, '-p', 'udp', '-m', 'udp', '--dport', lp, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT']));
    rules.push(inChain(['-i', d.port, '-o', d.uplink, '-s', gw, '-p', 'udp', '-m', 'udp', '--sport', lp, '-m', 'conntrack', '--ctstate', 'ESTABLISHED', '-j', 'ACCEPT']));
    rules.push(inChain(['-j', 'DROP']));
    for (const dir of ['-i', '-o']) rules.push({ family, table: 'filter', chain: 'FORWARD', spec: [dir, d.port, '-j', INGRESS_CHAIN] });
    if (family === 6) {
      // The node resolves the gateway's IPv6 address on the ingress port: neighbour discovery must reach it.
      for (const t of ['135', '136']) rules.push({ family, table: 'filter', chain: 'INPUT', spec: ['-i', d.port, '-p', 'ipv6-icmp', '-m', 'icmp6', '--icmpv6-type', t, '-j', 'ACCEPT'] });
    }
    rules.push({ family, table: 'filter', chain: 'INPUT', spec: ['-i', d.port, '-j', 'DROP'] });
    // An unreachable gateway (no neighbour) would make the node send ICMP errors for it: an answer.
    rules.push({ family, table: 'filter', chain: 'OUTPUT', spec: ['-p', icmp, '-m', 'conntrack', '--ctstate', 'RELATED', '--ctreplsrc', gw, '-j', 'DROP'] });
    const local = ['-m', 'addrtype', '--dst-type', 'LOCAL', '--limit-iface-in'];
    // Link-local IPv6 is not the node's public address.
    const notLinkLocal = family === 6 ? ['!', '-d', 'fe80::/10'] : [];
    rules.push({ family, table: 'nat', chain: 'PREROUTING', spec: ['-i', d.uplink, ...notLinkLocal, ...local, '-p', 'udp', '-m', 'udp', '--dport', lp, '-j', 'DNAT', '--to-destination', `${bracket(f, f.gatewayIp)}:${lp}`] });
    rules.push({ family, table: 'nat', chain: 'POSTROUTING', spec: ['-o', d.port, '-d', gw, '-p', 'udp', '-m', 'udp', '--dport', lp, '-j', 'SNAT', '--to-source', f.ingressIp] });
  }
  const v6 = d.families.some((f) => f.family === 6);
  return {
    owner: 'ingress',
    chains,
    rules,
    links: [{ name: d.port, mtu: d.mtu, addrs: d.families.map((f) => host(f, f.ingressIp)), up: true }],
    // A host route (as `ip -j route` lists it: no prefix length).
    routes: d.families.map((f) => ({ family: f.family, table: 'main' as const, dst: f.gatewayIp, dev: d.port })),
    // Forwarding on last (the reconciler orders it after the firewall); never switched off here.
    sysctls: [{ key: 'net.ipv4.ip_forward', value: '1' }, ...(v6 ? [{ key: 'net.ipv6.conf.all.forwarding', value: '1' }] : [])],
  };
}
