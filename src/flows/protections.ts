/**
 * Which protections are actually in force — the honest status `privroute flows`
 * and `privroute status` print. Never claims one that is not enforced:
 * - enforced:    OpenFlow flows installed by privroute do it; `cookies` names them
 *                (they can be found in `ovs-ofctl dump-flows` by cookie);
 * - delegated:   a hop really does it (e.g. XRay's Vision padding), and the engines
 *                doing it were verified to support it (facts passed in by the caller);
 * - unavailable: requested by the config but nothing does it; `reason` says why.
 * Only protections the config requests are listed (plus the always-on invariant,
 * isolation and miss-drop).
 */
import type { Config } from '../config/types.js';
import type { Flow } from '../ovs/flow.js';
import { supportsProfile, engineName } from '../xray/engine.js';
import type { EngineInfo } from '../xray/types.js';
import { portByRole } from '../topology/addressing.js';
import type { CompiledPipeline } from './compile.js';
import { cookieHex, parseCookie, type Category, type Rule } from './cookie.js';

export type ProtectionStatus = 'enforced' | 'delegated' | 'unavailable';

/** One protection and its real status. */
export interface Protection {
  id: string;
  name: string;
  /** The config key that asks for it. */
  requestedBy: string;
  status: ProtectionStatus;
  /** enforced: the cookies of the flows that enforce it. */
  cookies?: string[];
  /** delegated: the hop that does it. */
  hop?: string;
  /** unavailable: why; delegated/enforced: caveats. */
  reason?: string;
}

/** What the caller verified about the engines (from xray's engine detection), if anything. */
export interface ProtectionFacts {
  /** Engine in the XRay client container (CT101). */
  clientEngine?: EngineInfo | null;
  /** Engine on the VPS. */
  serverEngine?: EngineInfo | null;
}

const OF = 'plugins.privacy_router.openflow';

function cookiesOf(flows: readonly Flow[], pick: (c: Category, r: Rule, f: Flow) => boolean): string[] {
  const set = new Set<string>();
  for (const f of flows) {
    const p = parseCookie(f.cookie);
    if (p && pick(p.category, p.rule, f)) set.add(cookieHex(f.cookie));
  }
  return [...set].sort();
}

function enforced(id: string, name: string, requestedBy: string, cookies: string[], reason?: string): Protection {
  // No flow found means nothing enforces it: say so instead of claiming it.
  if (cookies.length === 0) return { id, name, requestedBy, status: 'unavailable', reason: 'no flow enforces it for this topology' };
  return { id, name, requestedBy, status: 'enforced', cookies, ...(reason ? { reason } : {}) };
}

/** Vision / REALITY run only when both ends are Xray-core able to enforce the profile. */
function xrayDelegation(config: Config, facts: ProtectionFacts, what: string): { ok: true; hop: string } | { ok: false; reason: string } {
  const x = config.plugins.privacy_router.xray;
  if (!x.enabled) return { ok: false, reason: 'the XRay hop is disabled' };
  if (x.profile !== 'vless-reality-vision') return { ok: false, reason: `xray.profile is ${x.profile}; ${what} needs vless-reality-vision` };
  const ends: [string, EngineInfo | null | undefined][] = [['XRay client (CT' + x.container_id + ')', facts.clientEngine], ['VPS', facts.serverEngine]];
  for (const [where, e] of ends) {
    if (!e) return { ok: false, reason: `the ${where} engine has not been verified to support vless-reality-vision` };
    if (!supportsProfile(e, 'vless-reality-vision')) return { ok: false, reason: `${engineName(e)} on the ${where} cannot enforce vless-reality-vision` };
  }
  return { ok: true, hop: `xray (vless-reality-vision, ${x.container_id} ↔ VPS)` };
}

/** The protections the config requests, with their real status, for a compiled pipeline. */
export function protections(config: Config, compiled: CompiledPipeline, facts: ProtectionFacts = {}): Protection[] {
  const f = config.plugins.privacy_router.openflow;
  const flows = compiled.flows;
  const out: Protection[] = [];
  if (!f.enabled) {
    return [{ id: 'openflow', name: 'OpenFlow pipeline', requestedBy: `${OF}.enabled`, status: 'unavailable', reason: 'openflow.enabled is false: only drop-all miss flows are installed (the chain passes nothing)' }];
  }
  out.push(enforced('miss-drop', 'table-miss drop in every table (fail closed)', `${OF}.enabled`, cookiesOf(flows, (c) => c === 'miss')));
  out.push(enforced('chain-invariant', 'chain invariant: gateway → XRay → warp0 only', `${OF}.enabled`, cookiesOf(flows, (c) => c === 'output' || c === 'chain')));
  out.push(enforced('isolation', 'privacy/mesh isolation', `${OF}.enabled`, cookiesOf(flows, (c) => c === 'isolation')));
  if (f.enable_security_flows) {
    const sec = (id: string, name: string, rules: Rule[]) =>
      out.push(enforced(id, name, `${OF}.enable_security_flows`, cookiesOf(flows, (c, r) => (c === 'security' || c === 'conntrack') && rules.includes(r))));
    sec('scan-drop', 'drop TCP NULL / Xmas / FIN scans', ['scanNull', 'scanXmas', 'scanFin']);
    sec('fragment-drop', 'drop IP fragments', ['fragment']);
    sec('anti-spoof', 'anti-spoof (own MAC, ARP sender, allowed IP sources)', ['antiSpoof', 'arpMeter', 'icmpMeter']);
    sec('ttl-egress', 'drop egress with TTL ≤ 1', ['ttlEgress']);
    sec('arp-rate-limit', `ARP rate limit ${f.arp_rate_pps} pkt/s per port (meters)`, ['arpMeter']);
    sec('icmp-rate-limit', `ICMP rate limit ${f.icmp_rate_pps} pkt/s per port (meters)`, ['icmpMeter']);
    sec('conntrack', 'conntrack: privacy sockets accept only replies to their own connections', ['ctTrack', 'ctCommit', 'ctEstablished', 'ctInvalid', 'ndBypass']);
  }
  const level = f.obfuscation_level;
  const lv = `${OF}.obfuscation_level`;
  const warp = portByRole(compiled.topology, 'warp');
  if (level >= 1) {
    out.push(enforced('ttl-normalization', 'TTL normalization to 64 on egress to warp0', lv, cookiesOf(flows, (c, _r, fl) => c === 'obfuscation' && fl.actions.some((a) => a.type === 'set_nw_ttl'))));
  }
  if (level >= 2) {
    out.push(
      enforced('mac-rewrite', 'source-MAC rewrite on egress to warp0', lv, cookiesOf(flows, (c, _r, fl) => c === 'obfuscation' && fl.actions.some((a) => a.type === 'set_field' && a.field === 'eth_src')),
        `${warp?.name ?? 'warp0'} is the node end of an L3 WireGuard tunnel: the rewritten MAC is seen by the node's stack only, never on the wire to WARP`),
    );
    const pad = xrayDelegation(config, facts, 'packet padding (xtls-rprx-vision)');
    out.push(pad.ok
      ? { id: 'padding', name: 'packet padding', requestedBy: lv, status: 'delegated', hop: pad.hop, reason: 'Vision pads the TLS records of the first packets of each connection; OpenFlow cannot pad' }
      : { id: 'padding', name: 'packet padding', requestedBy: lv, status: 'unavailable', reason: `OpenFlow cannot pad packets, and ${pad.reason}` });
    out.push({ id: 'timing', name: 'timing randomization', requestedBy: lv, status: 'unavailable', reason: 'OpenFlow has no delay or jitter action, and no hop in the chain randomizes timing' });
  }
  if (level >= 3) {
    const mimic = xrayDelegation(config, facts, 'protocol mimicry (REALITY)');
    out.push(mimic.ok
      ? { id: 'protocol-mimicry', name: 'protocol mimicry', requestedBy: lv, status: 'delegated', hop: mimic.hop, reason: `REALITY presents the TLS handshake of ${config.plugins.privacy_router.vps.reality_target}` }
      : { id: 'protocol-mimicry', name: 'protocol mimicry', requestedBy: lv, status: 'unavailable', reason: `OpenFlow cannot rewrite payloads, and ${mimic.reason}` });
    out.push({ id: 'traffic-morphing', name: 'traffic morphing', requestedBy: lv, status: 'unavailable', reason: 'needs reshaping packet sizes and timing; neither OpenFlow nor any hop in the chain does it' });
    out.push({ id: 'decoy-traffic', name: 'decoy traffic', requestedBy: lv, status: 'unavailable', reason: 'nothing in the chain generates cover traffic' });
  }
  return out;
}
