/**
 * Opening the inbound port when privroute manages the VPS firewall
 * (`vps.firewall`): ufw gets one `allow <port>/tcp` (src/net/ufw.ts); iptables gets a
 * privroute-owned chain holding exactly one ACCEPT for the port, jumped to from
 * INPUT, emitted as data ({@link vpsInboundNet}) for the net reconciler
 * (src/net): a changed port is added before the old one is removed, and the
 * previous release's uncommented chain content and jump are replaced the same
 * way. Nothing else is opened, and no policy is changed (an SSH lock-out is not
 * ours to cause). observe (read-only) → plan (pure) → apply.
 */
import { PreconditionError } from '../../core/errors.js';
import type { HostExec } from '../../host/exec.js';
import { EGRESS_MARK } from './egress-mark.js';
import type { NfChain, NfRule } from '../../net/netfilter.js';
import { observeUfw, planUfwAllow } from '../../net/ufw.js';
import { applyNet, observeNet, planNet, type NetChange, type NetDesired, type NetObserved } from '../../net/reconcile.js';

export const FW_CHAIN = 'PRIVROUTE-XRAY';

type FwKind = 'none' | 'ufw' | 'iptables';

/** One firewall change: what and the argv. */
export type FwChange = NetChange;

/** What the firewall looks like now. */
export interface FwObserved {
  ufwStatus?: string;
  /** The reconciler's view of the iptables state (iptables kind only). */
  net?: NetObserved;
}

/** The inbound opening as desired networking state of the VPS (pure). */
export function vpsInboundNet(port: number): NetDesired {
  return {
    owner: 'vps',
    chains: [{ family: 4, table: 'filter', chain: FW_CHAIN }],
    rules: [
      { family: 4, table: 'filter', chain: FW_CHAIN, spec: ['-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', 'ACCEPT'] },
      { family: 4, table: 'filter', chain: 'INPUT', spec: ['-j', FW_CHAIN] },
    ],
  };
}

/** Read the firewall state relevant to `kind`. Read-only. */
export async function observeFirewall(exec: HostExec, kind: FwKind, port: number): Promise<FwObserved> {
  if (kind === 'none') return {};
  if (kind === 'ufw') return { ufwStatus: await observeUfw(exec) };
  return { net: await observeNet(exec, vpsInboundNet(port)) };
}

/** The changes that open exactly `port`. Pure. */
export function planFirewall(kind: FwKind, port: number, o: FwObserved): FwChange[] {
  if (kind === 'none') return [];
  if (kind === 'ufw') return planUfwAllow([port], o.ufwStatus ?? '');
  return planNet(vpsInboundNet(port), o.net!);
}

/** Ensure the port is open; returns a description of what changed, or null if nothing did. */
export async function ensureFirewall(exec: HostExec, kind: FwKind, port: number): Promise<string | null> {
  const changes = planFirewall(kind, port, await observeFirewall(exec, kind, port));
  await applyNet(exec, changes);
  return changes.length ? changes.map((c) => c.describe).join(', ') : null;
}

/** The chain holding the VPS engine's egress decisions (jumped to only for the engine's marked connections). */
export const EGRESS_CHAIN = 'PRIVROUTE-EGRESS';

/**
 * Ranges the engine may never open a connection to: loopback, private, link-local
 * (cloud metadata), CGNAT, unspecified, multicast/reserved. Not 198.18.0.0/15:
 * the benchmarking range is never routed on the internet, and the lab's
 * "internet" lives in it (its web server and resolver must stay reachable).
 */
export const EGRESS_BLOCKED: Record<4 | 6, readonly string[]> = {
  4: ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '224.0.0.0/3'],
  6: ['::/127', '::ffff:0:0/96', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8'],
};

/** Which of the VPS's outgoing connections are the engine's client-driven ones. */
export type EgressMatch = { mark: number } | { uid: number };

/**
 * The VPS engine's egress firewall as desired state of the VPS target (pure; issue
 * 11 item 1): new connections the engine opens for clients (its `freedom`
 * outbound marks them with {@link EGRESS_MARK}, src/xray/vps/egress-mark.ts) to
 * loopback, private, link-local (169.254.169.254 metadata included) and reserved
 * ranges of both families are rejected, whatever name the client asked for.
 * Only matched connections are confined, so the host's own services are
 * untouched; replies on connections made to the engine (its API on loopback)
 * still pass. `allow` lists host:port pairs inside those ranges the engine must
 * reach (its DNS upstream). `blocked` defaults to {@link EGRESS_BLOCKED}.
 */
export function vpsEgressNet(match: EgressMatch, allow: readonly { ip: string; port: number }[] = [], blocked: Record<4 | 6, readonly string[]> = EGRESS_BLOCKED): NetDesired {
  const rules: NfRule[] = [];
  const chains: NfChain[] = [];
  const who = 'mark' in match ? ['-m', 'mark', '--mark', `0x${match.mark.toString(16)}`] : ['-m', 'owner', '--uid-owner', String(match.uid)];
  for (const family of [4, 6] as const) {
    chains.push({ family, table: 'filter', chain: EGRESS_CHAIN });
    const r = (spec: string[]) => ({ family, table: 'filter' as const, chain: EGRESS_CHAIN, spec });
    rules.push(r(['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN']));
    for (const a of allow.filter((x) => x.ip.includes(':') === (family === 6))) {
      for (const proto of ['udp', 'tcp']) rules.push(r(['-d', a.ip, '-p', proto, '-m', proto, '--dport', String(a.port), '-j', 'RETURN']));
    }
    const reject = family === 4 ? ['-j', 'REJECT', '--reject-with', 'icmp-net-prohibited'] : ['-j', 'REJECT', '--reject-with', 'icmp6-adm-prohibited'];
    for (const net of blocked[family]) rules.push(r(['-d', net, ...reject]));
    rules.push({ family, table: 'filter', chain: 'OUTPUT', spec: [...who, '-j', EGRESS_CHAIN] });
  }
  return { owner: 'vps-egress', chains, rules };
}

/**
 * The engine's egress firewall for a VPS whose engine resolves through
 * `upstreamDns` (an IP; pure): confined by {@link EGRESS_MARK}, the upstream's
 * port 53 allowed (it may sit in a blocked range: a loopback stub resolver).
 */
export function engineEgressNet(upstreamDns: string): NetDesired {
  return vpsEgressNet({ mark: EGRESS_MARK }, [{ ip: upstreamDns, port: 53 }]);
}

/**
 * Read the engine's egress firewall (read-only). @throws PreconditionError when
 * the VPS has no iptables (the fix is named).
 */
export async function observeEgress(exec: HostExec, upstreamDns: string): Promise<NetObserved> {
  try {
    return await observeNet(exec, engineEgressNet(upstreamDns));
  } catch (e) {
    throw new PreconditionError(`cannot read the VPS firewall for the engine's egress rules: ${(e as Error).message.split('\n')[0]}`, 'install iptables on the VPS (apt-get install iptables); privroute confines the engine\'s outgoing connections with it');
  }
}

/**
 * Ensure the engine's egress firewall (observe → plan → apply through the net
 * reconciler). Returns what changed, or null. @throws PreconditionError when the
 * VPS has no iptables (nothing is applied; the fix is named).
 */
export async function ensureEgress(exec: HostExec, upstreamDns: string): Promise<string | null> {
  const changes = planNet(engineEgressNet(upstreamDns), await observeEgress(exec, upstreamDns));
  await applyNet(exec, changes);
  return changes.length ? `${changes.length} egress rule change(s)` : null;
}
