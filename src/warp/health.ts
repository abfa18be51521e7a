/**
 * WARP health: the tunnel's handshake age (UAPI `last_handshake_time_sec`) and a
 * trace probe through the tunnel (the `/cdn-cgi/trace` page must say `warp=on` or
 * `warp=plus`). Read-only; typed results with `ok` and a human `detail`.
 */
import type { HostExec } from '../host/exec.js';
import type { WgControl } from './node-observe.js';

/** Cloudflare's trace page. */
export const DEFAULT_TRACE_URL = 'https://www.cloudflare.com/cdn-cgi/trace';
/** WireGuard re-handshakes every 2 minutes under traffic; 3 minutes plus slack means stale. */
export const DEFAULT_MAX_HANDSHAKE_AGE_SEC = 180;

/** One check's outcome. */
export interface HealthResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HandshakeHealth extends HealthResult {
  name: 'warp.handshake';
  /** Seconds since the last handshake, or null if none ever happened / no tunnel. */
  ageSec: number | null;
}

export interface TraceHealth extends HealthResult {
  name: 'warp.trace';
  /** The `warp=` value seen, or null. */
  warp: string | null;
  /** The egress address the trace page saw, or null. */
  ip: string | null;
}

/** Handshake age of the tunnel's (single) peer. */
export async function handshakeHealth(wg: WgControl, o: { maxAgeSec?: number; nowSec?: number } = {}): Promise<HandshakeHealth> {
  const max = o.maxAgeSec ?? DEFAULT_MAX_HANDSHAKE_AGE_SEC;
  if (!(await wg.alive())) return { name: 'warp.handshake', ok: false, ageSec: null, detail: 'the tunnel is down: no wireguard-go control socket' };
  const dev = await wg.get();
  const peer = dev.peers[0];
  if (!peer) return { name: 'warp.handshake', ok: false, ageSec: null, detail: 'the tunnel has no WARP peer' };
  if (!peer.lastHandshake) return { name: 'warp.handshake', ok: false, ageSec: null, detail: 'no handshake with the WARP peer yet' };
  const age = Math.max(0, Math.round((o.nowSec ?? Date.now() / 1000) - peer.lastHandshake.getTime() / 1000));
  return { name: 'warp.handshake', ok: age <= max, ageSec: age, detail: age <= max ? `last handshake ${age} s ago` : `last handshake ${age} s ago (stale: more than ${max} s)` };
}

/** Parse a trace page (`key=value` lines) (pure). */
export function parseTrace(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Fetch the trace page through the tunnel: curl bound to the tunnel device
 * (SO_BINDTODEVICE), so the probe cannot take any other path, run on the node.
 */
export async function traceHealth(exec: HostExec, o: { tunnel: string; url?: string; timeoutSec?: number }): Promise<TraceHealth> {
  const url = o.url ?? DEFAULT_TRACE_URL;
  const argv = ['curl', '-sS', '--max-time', String(o.timeoutSec ?? 5), '--interface', o.tunnel, url];
  let text: string;
  try {
    text = (await exec.run(argv, { timeoutMs: ((o.timeoutSec ?? 5) + 5) * 1000 })).stdout;
  } catch (e) {
    const first = (e as Error).message.split('\n').slice(0, 2).join(' ');
    return { name: 'warp.trace', ok: false, warp: null, ip: null, detail: `trace probe through ${o.tunnel} failed: ${first}` };
  }
  const kv = parseTrace(text);
  const warp = kv.warp ?? null;
  const ok = warp === 'on' || warp === 'plus';
  return { name: 'warp.trace', ok, warp, ip: kv.ip ?? null, detail: ok ? `warp=${warp} via ${kv.ip ?? '?'}` : `the trace page says warp=${warp ?? '(missing)'}${kv.ip ? ` from ${kv.ip}` : ''}: traffic is not leaving through WARP` };
}

/** Both checks. */
export async function warpHealth(exec: HostExec, wg: WgControl, o: { tunnel: string; traceUrl?: string; maxAgeSec?: number }): Promise<{ ok: boolean; handshake: HandshakeHealth; trace: TraceHealth }> {
  const handshake = await handshakeHealth(wg, { maxAgeSec: o.maxAgeSec });
  const trace = await traceHealth(exec, { tunnel: o.tunnel, url: o.traceUrl });
  return { ok: handshake.ok && trace.ok, handshake, trace };
}
