/**
 * Observe the WARP hop on the node (read-only): links and addresses, the policy
 * rule and table, firewall policy and rules (`-C` per desired rule), forwarding
 * sysctls, and the tunnel's UAPI state. Parsed into {@link WarpNodeObserved}.
 */
import type { HostExec } from '../host/exec.js';
import { parseIpAddrJson, type LinkState } from '../net/links.js';
import { observeRulesPresent } from '../net/netfilter.js';
import { desiredFirewall, iptablesCmd, BLACKHOLE_METRIC, type PolicyRoute, type WarpNodeSpec } from './node-spec.js';
import type { UapiDevice, UapiSet } from './uapi.js';

/** The WireGuard control of one interface (UapiClient, or a fake in unit tests). */
export interface WgControl {
  get(): Promise<UapiDevice>;
  set(op: UapiSet): Promise<void>;
  alive(): Promise<boolean>;
}

/** One link as `ip -j addr` shows it. `addrs` are CIDRs of both families. */
export type { LinkState };

/** What was found on the node. `uapi` holds the private key: never log this object. */
export interface WarpNodeObserved {
  tunnel: LinkState | null;
  warpIf: LinkState | null;
  iifRule: { 4: boolean; 6: boolean };
  routes: PolicyRoute[];
  forwardPolicy: { 4: string; 6: string };
  /** Aligned with desiredFirewall(spec): true where the rule is present. */
  rulesPresent: boolean[];
  forwarding: { 4: string; 6: string };
  uapi: UapiDevice | null;
  /** The peer endpoint as an `ip:port` the UAPI accepts. */
  endpoint: string;
}

/** Parse `ip -j addr show` into links by name (pure). Link-local IPv6 is left out (the kernel adds it); every other address is kept, so a stray one is seen (and pruned as stale). */
export function parseLinks(json: string): Map<string, LinkState> {
  return parseIpAddrJson(json, (a) => !(a.family === 'inet6' && a.scope === 'link'));
}

/** Parse `ip -j route show table T` into the policy routes privroute manages (pure). */
export function parsePolicyRoutes(json: string, family: 4 | 6, tunnel: string): PolicyRoute[] {
  const out: PolicyRoute[] = [];
  for (const r of JSON.parse(json || '[]') as { type?: string; dst?: string; dev?: string; metric?: number }[]) {
    if (r.dst !== 'default') continue;
    if (r.type === 'blackhole' && r.metric === BLACKHOLE_METRIC) out.push({ family, kind: 'blackhole' });
    else if ((r.type === undefined || r.type === 'unicast') && r.dev === tunnel) out.push({ family, kind: 'dev' });
  }
  return out;
}

/** True when `ip -j rule show` has `iif <dev> lookup <table>` (pure). */
export function hasIifRule(json: string, dev: string, table: number): boolean {
  return (JSON.parse(json || '[]') as { iif?: string; table?: string }[]).some((r) => r.iif === dev && r.table === String(table));
}

/** Resolve a `host:port` endpoint to `ip:port`; literal addresses pass through. */
export type EndpointResolver = (endpoint: string) => Promise<string>;

/** Observe everything the reconcile needs. Runs only read-only commands. */
export async function observeWarpNode(exec: HostExec, wg: WgControl, spec: WarpNodeSpec, resolve: EndpointResolver): Promise<WarpNodeObserved> {
  const out = async (argv: string[]): Promise<string> => (await exec.run(argv)).stdout;
  const links = parseLinks(await out(['ip', '-j', 'addr', 'show']));
  const table = String(spec.routeTable);
  const rules4 = await out(['ip', '-4', '-j', 'rule', 'show']);
  const rules6 = await out(['ip', '-6', '-j', 'rule', 'show']);
  // A table that was never used does not exist yet: `ip` exits 2 ("FIB table does not exist").
  const tableJson = async (f: 4 | 6): Promise<string> => {
    const r = await exec.run(['ip', `-${f}`, '-j', 'route', 'show', 'table', table], { okCodes: [0, 2] });
    return r.code === 0 ? r.stdout : '[]';
  };
  const routes = [...parsePolicyRoutes(await tableJson(4), 4, spec.tunnel), ...parsePolicyRoutes(await tableJson(6), 6, spec.tunnel)];
  const policy = async (f: 4 | 6): Promise<string> => /^-P FORWARD (\w+)/m.exec(await out([iptablesCmd(f), '-w', '-S', 'FORWARD']))?.[1] ?? 'unknown';
  const rulesPresent = await observeRulesPresent(exec, desiredFirewall(spec));
  const sysctl = async (k: string): Promise<string> => (await out(['sysctl', '-n', k])).trim();
  const uapi = (await wg.alive()) ? await wg.get() : null;
  return {
    tunnel: links.get(spec.tunnel) ?? null,
    warpIf: links.get(spec.warpIf) ?? null,
    iifRule: { 4: hasIifRule(rules4, spec.warpIf, spec.routeTable), 6: hasIifRule(rules6, spec.warpIf, spec.routeTable) },
    routes,
    forwardPolicy: { 4: await policy(4), 6: await policy(6) },
    rulesPresent,
    forwarding: { 4: await sysctl('net.ipv4.ip_forward'), 6: await sysctl('net.ipv6.conf.all.forwarding') },
    uapi,
    endpoint: await resolve(spec.model.peer.endpoint),
  };
}
