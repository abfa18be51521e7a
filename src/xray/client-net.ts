/**
 * CT101's network hardening, as data: observe (read-only, parsed) → plan (pure)
 * → apply (argv through the container's HostExec).
 *
 * - `net.ipv4.ip_forward=0` (and IPv6 forwarding off): REDIRECT is local
 *   delivery, so nothing needs routing through CT101; with forwarding off, client
 *   UDP/ICMP (other than DNS) is dropped instead of leaking past the VPS.
 * - nat: a privroute chain, jumped to first from PREROUTING, holding (in order)
 *   DNS tcp/udp 53 from the client subnet → dns_port, then all TCP from the
 *   client subnet → transparent_port. The chain is rebuilt only when its rules
 *   differ; while it is being rebuilt unredirected traffic is dropped (forwarding
 *   is off) — fail closed.
 * - routes: default via warp0's chain address; the client subnet back via the
 *   gateway's socket address.
 */
import type { HostExec } from '../host/exec.js';

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

/** What was observed. */
export interface ClientNetObserved {
  ipForward: string;
  /** `net.ipv6.conf.all.forwarding`, or '' when the kernel has no IPv6. */
  ip6Forward: string;
  /** `iptables -t nat -S PRIVROUTE-XRAY` rule lines (`-A ...`), or null if the chain is missing. */
  chainRules: string[] | null;
  jumpPresent: boolean;
  defaultRoute: string;
  returnRoute: string;
}

/** One change: a description and the argv to run, in order. */
export interface NetChange {
  what: string;
  argv: string[];
}

/** The rules of the nat chain, in `iptables -S` form. Pure. */
export function desiredNatRules(d: ClientNetDesired): string[] {
  const base = `-A ${NAT_CHAIN} -s ${d.clientSubnet} -i ${d.socketIf}`;
  return [
    `${base} -p udp -m udp --dport 53 -j REDIRECT --to-ports ${d.dnsPort}`,
    `${base} -p tcp -m tcp --dport 53 -j REDIRECT --to-ports ${d.dnsPort}`,
    `${base} -p tcp -j REDIRECT --to-ports ${d.transparentPort}`,
  ];
}

/** Read the container's current state. */
export async function observeClientNet(exec: HostExec, d: ClientNetDesired): Promise<ClientNetObserved> {
  const fwd = await exec.run(['sysctl', '-n', 'net.ipv4.ip_forward']);
  const fwd6 = await exec.run(['sysctl', '-n', 'net.ipv6.conf.all.forwarding'], { okCodes: [0, 1, 255] });
  const chain = await exec.run(['iptables', '-w', '-t', 'nat', '-S', NAT_CHAIN], { okCodes: [0, 1] });
  const jump = await exec.run(['iptables', '-w', '-t', 'nat', '-C', 'PREROUTING', '-j', NAT_CHAIN], { okCodes: [0, 1, 2] });
  const def = await exec.run(['ip', '-4', 'route', 'show', 'default']);
  const ret = await exec.run(['ip', '-4', 'route', 'show', d.clientSubnet]);
  return {
    ipForward: fwd.stdout.trim(),
    ip6Forward: fwd6.code === 0 ? fwd6.stdout.trim() : '',
    chainRules: chain.code === 0 ? chain.stdout.split('\n').filter((l) => l.startsWith('-A ')) : null,
    jumpPresent: jump.code === 0,
    defaultRoute: def.stdout.trim(),
    returnRoute: ret.stdout.trim(),
  };
}

const routeIs = (line: string, via: string, dev: string) => new RegExp(`\\bvia ${via.replace(/\./g, '\\.')} dev ${dev}\\b`).test(line) && line.split('\n').length === 1;

/** The changes that take `o` to `d`. Pure; empty when nothing differs. */
export function planClientNet(d: ClientNetDesired, o: ClientNetObserved): NetChange[] {
  const out: NetChange[] = [];
  if (o.ipForward !== '0') out.push({ what: 'ip_forward=0', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=0'] });
  // IPv6 too: a chain with subnet6 must not let client IPv6 be routed past the VPS.
  if (o.ip6Forward !== '' && o.ip6Forward !== '0') out.push({ what: 'ipv6 forwarding=0', argv: ['sysctl', '-w', 'net.ipv6.conf.all.forwarding=0'] });
  const want = desiredNatRules(d);
  if (o.chainRules === null) out.push({ what: `create nat chain ${NAT_CHAIN}`, argv: ['iptables', '-w', '-t', 'nat', '-N', NAT_CHAIN] });
  if (o.chainRules === null || o.chainRules.join('\n') !== want.join('\n')) {
    if (o.chainRules?.length) out.push({ what: `flush ${NAT_CHAIN}`, argv: ['iptables', '-w', '-t', 'nat', '-F', NAT_CHAIN] });
    for (const r of want) out.push({ what: r.replace(/^-A /, 'redirect: '), argv: ['iptables', '-w', '-t', 'nat', ...r.split(' ')] });
  }
  if (!o.jumpPresent) out.push({ what: `PREROUTING -> ${NAT_CHAIN}`, argv: ['iptables', '-w', '-t', 'nat', '-I', 'PREROUTING', '1', '-j', NAT_CHAIN] });
  if (!routeIs(o.defaultRoute, d.warpIp, d.socketIf)) {
    out.push({ what: `default via ${d.warpIp}`, argv: ['ip', 'route', 'replace', 'default', 'via', d.warpIp, 'dev', d.socketIf] });
  }
  if (!routeIs(o.returnRoute, d.gatewayIp, d.socketIf)) {
    out.push({ what: `${d.clientSubnet} via ${d.gatewayIp}`, argv: ['ip', 'route', 'replace', d.clientSubnet, 'via', d.gatewayIp, 'dev', d.socketIf] });
  }
  return out;
}

/** Run the changes in order (stops at the first failure, which names the argv). */
export async function applyClientNet(exec: HostExec, changes: readonly NetChange[]): Promise<void> {
  for (const c of changes) await exec.run(c.argv);
}
