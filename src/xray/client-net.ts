/**
 * CT101's network hardening, as data: observe (read-only) → plan (pure) → apply,
 * all through the one net reconciler (src/net) and the container's HostExec.
 *
 * - `net.ipv4.ip_forward=0` (and IPv6 forwarding off): REDIRECT is local
 *   delivery, so nothing needs routing through CT101; with forwarding off, client
 *   UDP/ICMP (other than DNS) is dropped instead of leaking past the VPS.
 * - nat: a privroute chain, jumped to first from PREROUTING, holding (in order)
 *   DNS tcp/udp 53 from the client subnet → dns_port, then all TCP from the
 *   client subnet → transparent_port. Emitted as data ({@link clientNet}); the
 *   net reconciler adds what is missing before it deletes what is stale (never a
 *   flush); unredirected traffic is dropped meanwhile (forwarding is off).
 * - routes: default via warp0's chain address; the client subnet back via the
 *   gateway's socket address.
 */
import type { HostExec } from '../host/exec.js';
import type { NfRule } from '../net/netfilter.js';
import { applyNet, observeNet, planNet, type NetChange, type NetDesired, type NetObserved } from '../net/reconcile.js';

export type { NetChange };

export const NAT_CHAIN = 'PRIVROUTE-XRAY';

/** What the container's network must look like. */
export interface ClientNetDesired {
  /** The socket interface inside the container (xray.socket_port). */
  socketIf: string;
  /** Client subnet (wireguard.subnet). */
  clientSubnet: string;
  /** warp0's chain address (chain .1): the container's default gateway. */
  warpIp: string;
  /** The gateway container's socket address (chain .<wireguard.container_id>). */
  gatewayIp: string;
  transparentPort: number;
  dnsPort: number;
}

/** The REDIRECT rules of the nat chain, in order (pure). */
export function natRules(d: ClientNetDesired): NfRule[] {
  const base = ['-s', d.clientSubnet, '-i', d.socketIf];
  const rule = (spec: string[]): NfRule => ({ family: 4, table: 'nat', chain: NAT_CHAIN, spec: [...base, ...spec] });
  return [
    rule(['-p', 'udp', '-m', 'udp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', String(d.dnsPort)]),
    rule(['-p', 'tcp', '-m', 'tcp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', String(d.dnsPort)]),
    rule(['-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(d.transparentPort)]),
  ];
}

/**
 * CT101's networking as data for the net reconciler (pure). The previous
 * release's uncommented rules in the chain, and its uncommented jump, are
 * replaced by the reconciler (the chain is owned: every foreign line in it goes,
 * after the commented rules are in place).
 */
export function clientNet(d: ClientNetDesired): NetDesired {
  return {
    owner: 'xray',
    chains: [{ family: 4, table: 'nat', chain: NAT_CHAIN }],
    rules: [...natRules(d), { family: 4, table: 'nat', chain: 'PREROUTING', spec: ['-j', NAT_CHAIN] }],
    routes: [
      { family: 4, table: 'main', dst: 'default', via: d.warpIp, dev: d.socketIf },
      { family: 4, table: 'main', dst: d.clientSubnet, via: d.gatewayIp, dev: d.socketIf },
    ],
    // IPv6 too: a chain with subnet6 must not let client IPv6 be routed past the VPS (absent without kernel IPv6).
    sysctls: [{ key: 'net.ipv4.ip_forward', value: '0' }, { key: 'net.ipv6.conf.all.forwarding', value: '0', optional: true }],
  };
}

/** Read the container's current state (read-only). */
export function observeClientNet(exec: HostExec, d: ClientNetDesired): Promise<NetObserved> {
  return observeNet(exec, clientNet(d));
}

/** The changes that take `o` to `d`. Pure; empty when nothing differs. */
export function planClientNet(d: ClientNetDesired, o: NetObserved): NetChange[] {
  return planNet(clientNet(d), o);
}

/** Run the changes in order (stops at the first failure, which names the argv). */
export function applyClientNet(exec: HostExec, changes: readonly NetChange[]): Promise<void> {
  return applyNet(exec, changes);
}
