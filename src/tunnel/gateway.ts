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
import { wireguardLinkAddArgv, type LinkState } from '../net/links.js';
import type { NfRule } from '../net/netfilter.js';
import { applyNet, observeNet, planNet, type NetChange, type NetDesired, type NetObserved } from '../net/reconcile.js';

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

/**
 * CT100's networking as data for the net reconciler (pure). privroute owns the
 * container's namespace, so its FORWARD policy is DROP; `legacy` names the same
 * rules as the previous release installed them (no ownership comment), replaced
 * on upgrade: the commented rule first, then the old one deleted.
 */
export function gatewayNet(d: GatewayDesired): NetDesired {
  const rules = gatewayRules(d);
  return {
    owner: 'gateway',
    rules,
    policies: [{ family: 4, table: 'filter', chain: 'FORWARD', policy: 'DROP' }],
    // Fallback first (fail-closed routes precede the rule): the rule never points at a table that could fall through to main.
    routes: [
      { family: 4, table: d.table, dst: 'default', type: 'unreachable', metric: FALLBACK_METRIC },
      { family: 4, table: d.table, dst: 'default', via: d.xrayIp, dev: d.socketIf },
    ],
    ipRules: [{ family: 4, priority: d.table, iif: d.iface, table: d.table }],
    // IPv6 forwarding off first, IPv4 forwarding on last (the reconciler orders off before on).
    sysctls: [{ key: 'net.ipv6.conf.all.forwarding', value: '0' }, { key: 'net.ipv4.ip_forward', value: '1' }],
    links: [{ name: d.iface, mtu: d.mtu, addrs: [d.address4, ...(d.address6 ? [d.address6] : [])], up: true }],
    legacy: { rules },
  };
}

/** What observe saw: the WireGuard interface (null: missing) and the container's networking state. */
export interface GatewayObserved {
  link: LinkState | null;
  net: NetObserved;
}

/** Read CT100's state. Read-only. */
export async function observeGateway(exec: HostExec, d: GatewayDesired): Promise<GatewayObserved> {
  const net = await observeNet(exec, gatewayNet(d));
  return { link: net.links.get(d.iface) ?? null, net };
}

/** One step: a net change, or (`precondition`) the start of wireguard-go the orchestrator must run first. */
export type GatewayChange = NetChange & { precondition?: boolean };

/**
 * desired + observed → the steps, in a fail-closed order (pure; empty = converged).
 * A missing interface comes first (kernel: created; userspace: the supervised
 * wireguard-go start, a precondition step), and is planned as bare.
 */
export function planGateway(d: GatewayDesired, o: GatewayObserved): GatewayChange[] {
  const out: GatewayChange[] = [];
  if (!o.link) {
    if (d.backend === 'kernel') out.push({ describe: `create WireGuard interface ${d.iface}`, argv: wireguardLinkAddArgv(d.iface) });
    else out.push({ describe: `start wireguard-go for ${d.iface} (supervised)`, argv: wireguardGoCommand(d.iface).argv, precondition: true });
  }
  return [...out, ...planNet(gatewayNet(d), o.net, { fresh: o.link ? [] : [d.iface] })];
}

/** Run the steps in order. A precondition step throws PreconditionError (nothing after it runs). */
export async function applyGateway(exec: HostExec, changes: readonly GatewayChange[]): Promise<void> {
  for (const c of changes) {
    if (c.precondition) {
      throw new PreconditionError(`${c.describe}: the interface does not exist`, `the orchestrator must start and supervise: ${c.argv.join(' ')}`);
    }
    await applyNet(exec, [c]);
  }
}

/** observe → plan → apply; returns what was changed (empty: already converged). */
export async function ensureGateway(exec: HostExec, d: GatewayDesired): Promise<string[]> {
  const changes = planGateway(d, await observeGateway(exec, d));
  await applyGateway(exec, changes);
  return changes.map((c) => c.describe);
}
