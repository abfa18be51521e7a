/**
 * The `netmaker` hop of `privroute status` (read-only): joined (netclient
 * list), the mesh interface up, each peer with its last handshake age (from
 * the WireGuard device, `wg show <iface> dump`), and each declared function
 * with its target socket and whether it answered a TCP probe from the node
 * through nm-privacy (the same OpenFlow path mesh peers take after DNAT).
 */
import type { Config } from '../config/types.js';
import type { Topology } from '../topology/addressing.js';
import type { HostExec } from '../host/exec.js';
import { hopFrom, type HopHealth } from './types.js';
import { functionTargets, type FunctionTarget } from '../mesh/bridge.js';
import { Netclient } from '../mesh/netclient.js';
import { meshSettings } from '../mesh/settings.js';

/** A peer older than this without a handshake counts as down (WireGuard rekeys every 2 min; keepalive 20 s). */
export const HANDSHAKE_STALE_SEC = 180;

/** One peer as `wg show dump` prints it. */
export interface MeshPeer {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  handshakeAgeSec: number | null;
}

/** Parse `wg show <iface> dump` peer lines (pure). */
export function parseWgDump(dump: string, nowSec: number): MeshPeer[] {
  return dump.split('\n').slice(1).filter(Boolean).map((l) => {
    const [pub, , endpoint, allowed, hs] = l.split('\t');
    const t = Number(hs);
    return { publicKey: pub!, endpoint: endpoint && endpoint !== '(none)' ? endpoint : null, allowedIps: allowed && allowed !== '(none)' ? allowed.split(',') : [], handshakeAgeSec: t > 0 ? Math.max(0, nowSec - t) : null };
  });
}

/** Probe a function from the node: connect to target:port within 3 s (curl; an empty or non-HTTP reply still counts as answered). */
export async function probeFunction(node: HostExec, f: FunctionTarget): Promise<{ ok: boolean; detail: string }> {
  if (f.proto !== 'tcp') return { ok: true, detail: 'udp: not probed' };
  const r = await node.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--connect-timeout', '3', '-m', '5', `http://${f.ip}:${f.port}/`], { okCodes: [0, 7, 28, 52, 56], timeoutMs: 10_000 });
  if (r.code === 0) return { ok: true, detail: `HTTP ${r.stdout.trim()}` };
  if (r.code === 52 || r.code === 56) return { ok: true, detail: 'connected (not HTTP)' };
  return { ok: false, detail: r.code === 7 ? 'connection refused' : 'no answer (timeout)' };
}

/** The netmaker hop. */
export async function meshHealth(config: Config, topo: Topology, node: HostExec, now: Date = new Date()): Promise<HopHealth> {
  const s = meshSettings(config);
  const nc = new Netclient(node, s.netclient);
  const m = await nc.list(s.network);
  const checks: HopHealth['checks'] = [];
  if (!m) {
    checks.push({ name: 'netmaker.joined', ok: false, detail: `not joined to ${s.network} (run privroute init)` });
    return hopFrom('netmaker', checks, '', { network: s.network, joined: false });
  }
  checks.push({ name: 'netmaker.joined', ok: m.connected, detail: m.connected ? `joined ${s.network} as ${m.ipv4_addr}` : `joined ${s.network} but netclient is not connected` });
  const dump = await node.run(['wg', 'show', s.meshIface, 'dump'], { okCodes: [0, 1] });
  checks.push({ name: 'netmaker.interface', ok: dump.code === 0, detail: dump.code === 0 ? `${s.meshIface} up` : `interface ${s.meshIface} is gone (the daemon restarts netclient)` });
  const peers = dump.code === 0 ? parseWgDump(dump.stdout, Math.floor(now.getTime() / 1000)) : [];
  const stale = peers.filter((p) => p.handshakeAgeSec === null || p.handshakeAgeSec > HANDSHAKE_STALE_SEC);
  checks.push({ name: 'netmaker.peers', ok: stale.length === 0, detail: stale.length ? `${stale.length} of ${peers.length} peer(s) without a handshake in ${HANDSHAKE_STALE_SEC} s` : `${peers.length} peer(s), all with a recent handshake` });
  const functions = [];
  for (const f of functionTargets(config, topo)) {
    const p = await probeFunction(node, f);
    functions.push({ function: f.function, port: `${f.proto}/${f.port}`, target: f.socket, address: f.ip, probe: p.detail, ok: p.ok });
    checks.push({ name: `netmaker.function.${f.function}`, ok: p.ok, detail: `${f.function} (${f.proto}/${f.port} → ${f.socket}): ${p.detail}` });
  }
  const ages = peers.map((p) => (p.handshakeAgeSec === null ? 'never' : `${p.handshakeAgeSec} s`)).join(', ');
  const okDetail = `joined ${s.network} as ${m.ipv4_addr}; ${peers.length} peer(s)${peers.length ? ` (handshake ${ages})` : ''}; functions ${functions.map((f) => `${f.function}→${f.target} ${f.probe}`).join(', ') || 'none'}`;
  return hopFrom('netmaker', checks, okDetail, { network: s.network, joined: true, address: m.ipv4_addr, interface: s.meshIface, peers, functions });
}
