/**
 * The chain as the dashboard draws it (pure): client → CT100 → CT101 → warp0 →
 * VPS → internet, each node judged by the status checks that concern it, plus
 * the switching fabric (OVS bridge and flows) underneath. A node's `ok` is null
 * when nothing checks it (its hop is disabled, or no status yet).
 */
import type { HopHealth, StatusReport } from '../../health/types.js';

/** One box of the diagram. */
export interface ChainNode {
  id: 'client' | 'ct100' | 'ct101' | 'warp0' | 'vps' | 'internet' | 'fabric';
  label: string;
  ok: boolean | null;
  /** Why (the failed checks, else what was verified). */
  reason: string;
}

type Check = HopHealth['checks'][number];

function judge(id: ChainNode['id'], label: string, checks: Check[] | null, none: string): ChainNode {
  if (checks === null || checks.length === 0) return { id, label, ok: null, reason: none };
  const bad = checks.filter((c) => !c.ok);
  return { id, label, ok: bad.length === 0, reason: (bad.length ? bad : checks).map((c) => c.detail).join('; ') };
}

/** The checks of `hop` whose name is in `names` (all of them without `names`); null when the hop is absent. */
function checksOf(s: StatusReport, hop: HopHealth['hop'], names?: string[]): Check[] | null {
  const h = s.hops.find((x) => x.hop === hop);
  if (!h) return null;
  // A hop whose probe threw has one `<hop>.check`: it concerns every node of the hop.
  const all = h.checks.length ? h.checks : [{ name: `${hop}.check`, ok: h.ok, detail: h.detail }];
  const picked = names ? all.filter((c) => names.includes(c.name) || c.name === `${hop}.check`) : all;
  return picked;
}

/** The diagram's nodes, in chain order, then the fabric. */
export function chainView(s: StatusReport | null): ChainNode[] {
  if (!s) {
    const ids: [ChainNode['id'], string][] = [['client', 'Client'], ['ct100', 'CT100 gateway'], ['ct101', 'CT101 XRay'], ['warp0', 'warp0 WARP'], ['vps', 'VPS'], ['internet', 'Internet'], ['fabric', 'OVS bridge + flows']];
    return ids.map(([id, label]) => ({ id, label, ok: null, reason: 'no status yet' }));
  }
  const gw = s.hops.find((h) => h.hop === 'gateway');
  const peers = (gw?.data?.peers as { handshakeAgeSec: number | null }[] | undefined) ?? [];
  const recent = peers.filter((p) => p.handshakeAgeSec !== null && p.handshakeAgeSec < 180).length;
  const fabric = [...(checksOf(s, 'ovs') ?? []), ...(checksOf(s, 'flows') ?? [])];
  return [
    { id: 'client', label: 'Client', ok: null, reason: gw ? `${peers.length} peer(s), ${recent} with a handshake in the last 3 min` : 'WireGuard gateway not enabled' },
    judge('ct100', 'CT100 gateway', checksOf(s, 'gateway'), 'WireGuard gateway not enabled'),
    judge('ct101', 'CT101 XRay', checksOf(s, 'xray', ['xray.identity', 'xray.client_engine', 'xray.client_service']), 'XRay not enabled'),
    judge('warp0', 'warp0 WARP', checksOf(s, 'warp'), 'WARP not enabled'),
    judge('vps', 'VPS', checksOf(s, 'xray', ['xray.vps_engine', 'xray.vps_service']), 'XRay not enabled'),
    judge('internet', 'Internet', checksOf(s, 'xray', ['xray.socks']), 'no end-to-end probe (XRay not enabled)'),
    judge('fabric', 'OVS bridge + flows', fabric.length ? fabric : null, 'not checked'),
  ];
}
