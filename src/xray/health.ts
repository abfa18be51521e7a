/**
 * Health of the XRay hop: a request through the tunnel (curl via the client's
 * SOCKS inside CT101), the VPS service, and the engine's traffic counters where
 * the engine offers them (v2ray 4.x: `v2ctl api StatsService.QueryStats`,
 * measured; Xray: `xray api statsquery`).
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { serviceManager } from './service/process.js';
import type { ServiceManagerKind, ServiceSpec } from './service/types.js';
import type { EngineInfo } from './types.js';

/** One probe's outcome. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** The argv of the SOCKS probe (socks5-hostname: the name is resolved at the VPS). */
export function socksProbeArgv(socksPort: number, url: string, timeoutS = 10): string[] {
  return ['curl', '--socks5-hostname', `127.0.0.1:${socksPort}`, '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(timeoutS), url];
}

/** Fetch `url` through the client's SOCKS inside the container. ok = any HTTP status below 500. */
export async function probeSocks(container: HostExec, socksPort: number, url: string): Promise<ProbeResult> {
  try {
    const r = await container.run(socksProbeArgv(socksPort, url), { timeoutMs: 20_000 });
    const code = Number(r.stdout.trim());
    return { ok: code > 0 && code < 500, detail: `HTTP ${r.stdout.trim()} from ${url} via SOCKS 127.0.0.1:${socksPort}` };
  } catch (e) {
    return { ok: false, detail: `SOCKS probe of ${url} failed: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}` };
  }
}

/** Whether the engine service is active on `exec`. */
export async function probeService(exec: HostExec, kind: ServiceManagerKind, spec: ServiceSpec): Promise<ProbeResult> {
  try {
    const st = await serviceManager(kind).status(exec, spec);
    return { ok: st.active, detail: st.active ? `${spec.name} active (pid ${st.pid ?? '?'}) on ${exec.target}` : `${spec.name} not running on ${exec.target}` };
  } catch (e) {
    return { ok: false, detail: `cannot read ${spec.name} status on ${exec.target}: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Parse v2ctl's protobuf-text QueryStats output into name -> value. */
export function parseV2ctlStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/name:\s*"([^"]+)"\s*(?:value:\s*(-?\d+))?/g)) out[m[1]!] = Number(m[2] ?? 0);
  return out;
}

/** Parse `xray api statsquery` JSON into name -> value. */
export function parseXrayStats(text: string): Record<string, number> {
  const j = JSON.parse(text) as { stat?: { name: string; value?: number | string }[] };
  return Object.fromEntries((j.stat ?? []).map((s) => [s.name, Number(s.value ?? 0)]));
}

/** Traffic counters (`inbound>>>TAG>>>traffic>>>uplink`...), or null with the reason when unavailable. */
export async function engineStats(exec: HostExec, engine: EngineInfo, apiPort: number): Promise<{ stats: Record<string, number> | null; note: string }> {
  try {
    if (engine.kind === 'v2ray') {
      const r = await exec.run(['v2ctl', 'api', `--server=127.0.0.1:${apiPort}`, 'StatsService.QueryStats', 'pattern: "" reset: false']);
      return { stats: parseV2ctlStats(r.stdout), note: 'v2ctl api' };
    }
    const r = await exec.run([engine.binary, 'api', 'statsquery', `--server=127.0.0.1:${apiPort}`]);
    return { stats: parseXrayStats(r.stdout), note: 'xray api statsquery' };
  } catch (e) {
    return { stats: null, note: `stats unavailable on ${exec.target}: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The hop's health as `status` / the daemon show it. */
export interface XrayHealth {
  ok: boolean;
  socks: ProbeResult;
  vpsService: ProbeResult;
  clientService: ProbeResult;
  /** Server-side counters, or null (see statsNote). */
  stats: Record<string, number> | null;
  statsNote: string;
}

/**
 * Probe the whole hop: the SOCKS request to xray.probe_url, both services, and
 * the VPS engine's counters. Never throws: every failure is a false probe with
 * its reason. `ok` needs the SOCKS probe and both services.
 */
export async function xrayHealth(h: {
  config: Config;
  vps: HostExec;
  container: HostExec;
  vpsSpec: ServiceSpec;
  clientSpec: ServiceSpec;
  vpsService: ServiceManagerKind;
  clientService: ServiceManagerKind;
  vpsEngine: EngineInfo | null;
  apiPort: number;
}): Promise<XrayHealth> {
  const x = h.config.plugins.privacy_router.xray;
  const [socks, vpsService, clientService] = await Promise.all([
    probeSocks(h.container, x.socks_port, x.probe_url),
    probeService(h.vps, h.vpsService, h.vpsSpec),
    probeService(h.container, h.clientService, h.clientSpec),
  ]);
  const st = h.vpsEngine ? await engineStats(h.vps, h.vpsEngine, h.apiPort) : { stats: null, note: 'VPS engine unknown' };
  return { ok: socks.ok && vpsService.ok && clientService.ok, socks, vpsService, clientService, stats: st.stats, statsNote: st.note };
}
