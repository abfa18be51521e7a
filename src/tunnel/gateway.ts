/**
 * The WireGuard gateway container (CT100) as data: desired (pure, from config and
 * the address plan) → observe (read-only, through the container's HostExec) →
 * plan (pure: the missing steps, check-then-add, never flush-and-rebuild) → apply.
 *
 * Hardening from chain-recipe.md for CT100:
 * - policy routing: `ip rule iif <wg> lookup 100`; table 100 = default via the XRay
 *   socket + a local `unreachable default` fallback (metric 4294967295), so client
 *   traffic goes only to CT101 and, when that hop is down, nowhere;
 * - `net.ipv4.ip_forward=1` in the container only; IPv6 forwarding kept off
 *   (client IPv6 enters the tunnel, AllowedIPs ::/0, and dies here);
 * - iptables FORWARD policy DROP, allowing only wg → socket from the client
 *   subnet, and ESTABLISHED,RELATED back;
 * - TCPMSS clamp `--set-mss <mtu-40>` on SYNs from the tunnel;
 * - DNS to the gateway's tunnel address is DNATed to the XRay socket (CT101 turns
 *   it into DNS through the chain): the default client DNS works without leaking.
 * Order: the fallback route exists before the rule, the firewall before forwarding.
 *
 * wireguard-go (userspace backend) is a long-running process: this module does not
 * start it. {@link wireguardGoCommand} gives the argv; the appliance's `gateway` component
 * (src/appliance/gateway.ts) starts it in the container; observe reports a missing interface.
 */
import type { Config } from '../config/types.js';
import { PreconditionError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { portByRole, type Topology } from '../topology/addressing.js';
import { addressSpace, gatewayAddresses } from './ipam.js';
import { parseIpAddrJson } from '../net/links.js';
import { observeRulesPresent, type NfRule } from '../net/netfilter.js';

/** Policy-routing table (and rule priority) for traffic arriving from clients. */
export const GATEWAY_TABLE = 100;
/** Metric of the fail-closed fallback route (the largest). */
export const FALLBACK_METRIC = 4294967295;

/** Everything CT100's network must be. */
export interface GatewayDesired {
  iface: string;
  backend: 'userspace' | 'kernel';
  mtu: number;
  listenPort: number;
  /** Gateway tunnel address with prefix (first host of the subnet). */
  address4: string;
  address6: string | null;
  gatewayIp4: string;
  clientSubnet4: string;
  /** The gateway's OVS socket inside CT100 and its chain address. */
  socketIf: string;
  socketIp: string;
  /** The XRay client's socket address (next hop). */
  xrayIp: string;
  table: number;
  mss: number;
}

/** Compute the desired gateway from config and the appliance's topology (pure). */
export function gatewayDesired(config: Config, topo: Topology): GatewayDesired {
  const r = config.plugins.privacy_router;
  const wg = r.wireguard;
  const gwPort = portByRole(topo, 'gateway');
  const xray = portByRole(topo, 'xray');
  if (!gwPort || !xray) throw new PreconditionError('the gateway needs wireguard and xray enabled', 'enable plugins.privacy_router.wireguard and .xray');
  const space = addressSpace(wg.subnet, wg.subnet6);
  const gw = gatewayAddresses(space);
  return {
    iface: wg.interface,
    backend: wg.backend,
    mtu: wg.mtu,
    listenPort: wg.listen_port,
    address4: gw.cidr4,
    address6: gw.cidr6,
    gatewayIp4: gw.ip4,
    clientSubnet4: networkCidr(space.base4, space.prefix4),
    socketIf: gwPort.name,
    socketIp: gwPort.ip,
    xrayIp: xray.ip,
    table: GATEWAY_TABLE,
    mss: wg.mtu - 40,
  };
}

function networkCidr(base: number, prefix: number): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${prefix}`;
}

/** The argv that runs wireguard-go in the foreground, to be supervised (never `-h`: it names an interface "-h"). */
export function wireguardGoCommand(iface: string): { argv: string[]; env: Record<string, string> } {
  return { argv: ['wireguard-go', '-f', iface], env: { LOG_LEVEL: 'error' } };
}

/** One iptables rule (IPv4 only here: client IPv6 is not forwarded): the shared netfilter rule shape. */
export type FwRule = NfRule & { family: 4 };

/** The firewall rules CT100 must hold (pure, in apply order). */
export function gatewayRules(d: GatewayDesired): FwRule[] {
  const dnat = (proto: 'udp' | 'tcp'): FwRule => ({
    table: 'nat',
    family: 4,
    chain: 'PREROUTING',
    spec: ['-i', d.iface, '-d', `${d.gatewayIp4}/32`, '-p', proto, '-m', proto, '--dport', '53', '-j', 'DNAT', '--to-destination', d.xrayIp]
  });
  return [
    { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', d.iface, '-o', d.socketIf, '-s', d.clientSubnet4, '-j', 'ACCEPT'] },
    { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', d.socketIf, '-o', d.iface, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] },
    { family: 4, table: 'mangle', chain: 'FORWARD', spec: ['-i', d.iface, '-p', 'tcp', '-m', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--set-mss', String(d.mss)] },
    dnat('udp'),
    dnat('tcp'),
  ];
}

/** What observe saw. */
export interface GatewayObserved {
  /** The interface, or null if it does not exist. */
  link: { mtu: number; up: boolean; addrs: string[] } | null;
  ipForward: string;
  ip6Forward: string;
  /** `ip -4 rule show` lines. */
  rules: string[];
  /** `ip -4 route show table <t>` lines. */
  tableRoutes: string[];
  forwardPolicy: string | null;
  /** For each rule of {@link gatewayRules}, whether `iptables -C` found it. */
  rulePresent: boolean[];
}

/** Read CT100's state. Read-only. */
export async function observeGateway(exec: HostExec, d: GatewayDesired): Promise<GatewayObserved> {
  const link = await exec.run(['ip', '-j', 'addr', 'show', 'dev', d.iface], { okCodes: [0, 1] });
  // Only global addresses are reported: the desired ones are global, the kernel's link-local fe80:: is not ours.
  const parsed: GatewayObserved['link'] = link.code === 0 ? (parseIpAddrJson(link.stdout).get(d.iface) ?? null) : null;
  const sysctl = async (k: string) => (await exec.run(['sysctl', '-n', k])).stdout.trim();
  const rules = (await exec.run(['ip', '-4', 'rule', 'show'])).stdout.split('\n').filter(Boolean);
  const routes = (await exec.run(['ip', '-4', 'route', 'show', 'table', String(d.table)], { okCodes: [0, 2] })).stdout.split('\n').filter(Boolean);
  const fwd = (await exec.run(['iptables', '-w', '-S', 'FORWARD'])).stdout.split('\n');
  const present = await observeRulesPresent(exec, gatewayRules(d));
  return {
    link: parsed,
    ipForward: await sysctl('net.ipv4.ip_forward'),
    ip6Forward: await sysctl('net.ipv6.conf.all.forwarding'),
    rules,
    tableRoutes: routes,
    forwardPolicy: fwd.find((l) => l.startsWith('-P FORWARD '))?.split(' ')[2] ?? null,
    rulePresent: present,
  };
}

/** One step: what it does and the argv. `precondition` steps cannot be run here (they explain what must run first). */
export interface GatewayChange {
  describe: string;
  argv: string[];
  precondition?: boolean;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** desired + observed → missing steps, in a fail-closed order. Pure. Empty = converged. */
export function planGateway(d: GatewayDesired, o: GatewayObserved): GatewayChange[] {
  const out: GatewayChange[] = [];
  const t = String(d.table);
  if (o.ip6Forward !== '0') out.push({ describe: 'IPv6 forwarding off', argv: ['sysctl', '-w', 'net.ipv6.conf.all.forwarding=0'] });
  if (!o.link) {
    if (d.backend === 'kernel') out.push({ describe: `create WireGuard interface ${d.iface}`, argv: ['ip', 'link', 'add', 'dev', d.iface, 'type', 'wireguard'] });
    else out.push({ describe: `start wireguard-go for ${d.iface} (supervised)`, argv: wireguardGoCommand(d.iface).argv, precondition: true });
  }
  const link = o.link ?? { mtu: -1, up: false, addrs: [] };
  if (link.mtu !== d.mtu) out.push({ describe: `${d.iface} mtu ${d.mtu}`, argv: ['ip', 'link', 'set', 'dev', d.iface, 'mtu', String(d.mtu)] });
  if (!link.addrs.includes(d.address4)) out.push({ describe: `${d.iface} address ${d.address4}`, argv: ['ip', 'addr', 'add', d.address4, 'dev', d.iface] });
  if (d.address6 && !link.addrs.includes(d.address6)) out.push({ describe: `${d.iface} address ${d.address6}`, argv: ['ip', '-6', 'addr', 'add', d.address6, 'dev', d.iface] });
  if (!link.up) out.push({ describe: `${d.iface} up`, argv: ['ip', 'link', 'set', 'dev', d.iface, 'up'] });
  // Fallback first: the rule must never point at a table that could fall through to main.
  if (!o.tableRoutes.some((l) => new RegExp(`^unreachable default .*metric ${FALLBACK_METRIC}\\b`).test(l))) {
    out.push({ describe: `table ${t}: unreachable default (fail closed)`, argv: ['ip', 'route', 'add', 'unreachable', 'default', 'metric', String(FALLBACK_METRIC), 'table', t] });
  }
  const via = o.tableRoutes.find((l) => /^default via /.test(l));
  if (!via || !new RegExp(`^default via ${esc(d.xrayIp)} dev ${esc(d.socketIf)}( |$)`).test(via)) {
    out.push({ describe: `table ${t}: default via ${d.xrayIp} dev ${d.socketIf}`, argv: ['ip', 'route', 'replace', 'default', 'via', d.xrayIp, 'dev', d.socketIf, 'table', t] });
  }
  if (!o.rules.some((l) => new RegExp(`\\biif ${esc(d.iface)} lookup ${t}\\b`).test(l))) {
    out.push({ describe: `rule iif ${d.iface} lookup ${t}`, argv: ['ip', 'rule', 'add', 'iif', d.iface, 'lookup', t, 'priority', t] });
  }
  if (o.forwardPolicy !== 'DROP') out.push({ describe: 'FORWARD policy DROP', argv: ['iptables', '-w', '-P', 'FORWARD', 'DROP'] });
  gatewayRules(d).forEach((r, i) => {
    if (!o.rulePresent[i]) out.push({ describe: `iptables -t ${r.table} ${r.chain} ${r.spec.join(' ')}`, argv: ['iptables', '-w', '-t', r.table, '-A', r.chain, ...r.spec] });
  });
  if (o.ipForward !== '1') out.push({ describe: 'IPv4 forwarding on (container only)', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] });
  return out;
}

/** Run the steps in order. A precondition step throws PreconditionError (nothing after it runs). */
export async function applyGateway(exec: HostExec, changes: readonly GatewayChange[]): Promise<void> {
  for (const c of changes) {
    if (c.precondition) {
      throw new PreconditionError(`${c.describe}: the interface does not exist`, `the orchestrator must start and supervise: ${c.argv.join(' ')}`);
    }
    await exec.run(c.argv);
  }
}

/** observe → plan → apply; returns what was changed (empty: already converged). */
export async function ensureGateway(exec: HostExec, d: GatewayDesired): Promise<string[]> {
  const changes = planGateway(d, await observeGateway(exec, d));
  await applyGateway(exec, changes);
  return changes.map((c) => c.describe);
}
