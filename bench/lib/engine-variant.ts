/**
 * Bench hook: run an engine (CT101's client or the VPS's server) with a variant
 * of the config privroute wrote (e.g. mux on the VPS outbound, stats off), measure,
 * then put privroute's own config back with `privroute init` (the engine is found
 * stopped and restarted from the desired config). Lab only (netns runtime,
 * process service manager; the VPS engine is this machine's v2ray in the VPS namespace).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsExec } from '../../src/host/netns.js';
import type { Lab } from '../../src/lab/lab.js';
import { waitFor } from '../../src/lab/harness/index.js';
import { clientLayout } from '../../src/xray/client.js';
import { vpsLayout } from '../../src/xray/vps/layout.js';

type Json = Record<string, any>;
/** Which engine a variant changes. */
export type EngineEnd = 'ct101' | 'vps';
/** A config rewrite. */
export type Mutate = (cfg: Json) => Json;

/** Add v2ray mux (mux.cool) to every VLESS outbound: one TLS connection to the VPS carries many flows. */
export function withMux(concurrency: number): Mutate {
  return (cfg) => ({ ...cfg, outbounds: cfg.outbounds.map((o: Json) => (o.protocol === 'vless' ? { ...o, mux: { enabled: true, concurrency } } : o)) });
}

/** Drop traffic statistics (the `stats` block and the policy's per-user/inbound/outbound counters). */
export const withoutStats: Mutate = (cfg) => {
  const { stats: _s, policy: _p, ...rest } = cfg;
  return rest;
};

/** Larger per-connection buffers (policy level 0 `bufferSize`, KiB), keeping the rest of the policy. */
export function withBufferKiB(kib: number): Mutate {
  return (cfg) => ({ ...cfg, policy: { ...(cfg.policy ?? {}), levels: { ...(cfg.policy?.levels ?? {}), '0': { ...(cfg.policy?.levels?.['0'] ?? {}), bufferSize: kib } } } });
}

/** Routing reduced to its last rule (send everything out) and `AsIs`: no per-connection rule walk or DNS. */
export const withPlainRouting: Mutate = (cfg) => {
  if (!cfg.routing) return cfg;
  const rules = cfg.routing.rules as Json[];
  const keep = rules.filter((r) => r.inboundTag?.includes?.('api'));
  return { ...cfg, routing: { ...cfg.routing, domainStrategy: 'AsIs', rules: [...keep, rules.at(-1)] } };
};

/** Run `fn` with `end`'s engine on `mutate(config)` for each end given; always restores privroute's config (init). */
export async function withEngineVariant<T>(lab: Lab, mutate: Partial<Record<EngineEnd, Mutate>>, fn: () => Promise<T>): Promise<T> {
  const ends = Object.keys(mutate) as EngineEnd[];
  const started: (() => Promise<unknown>)[] = [];
  try {
    for (const end of ends) started.push(await startVariant(lab, end, mutate[end]!));
    return await fn();
  } finally {
    for (const stop of started) await stop();
    const r = await lab.privroute(['init'], { okCodes: [0, 1] });
    if (r.code !== 0) throw new Error(`privroute init did not restore the engines after the variant:\n${r.stderr}`);
  }
}

/** Back-compat: a CT101-only variant. */
export function withClientVariant<T>(lab: Lab, mutate: Mutate, fn: () => Promise<T>): Promise<T> {
  return withEngineVariant(lab, { ct101: mutate }, fn);
}

/** Stop `end`'s engine, start it on the variant config; returns its stop function. */
async function startVariant(lab: Lab, end: EngineEnd, mutate: Mutate): Promise<() => Promise<unknown>> {
  const ns = end === 'ct101' ? new NetnsExec(`${lab.prefix}-ct101`) : lab.world.vps;
  const l = end === 'ct101' ? clientLayout(path.join(lab.dir, 'ct101-files')) : vpsLayout(path.join(lab.dir, 'vps-files'));
  const variant = `${l.configPath}.variant.json`;
  const cfg = JSON.parse(readFileSync(l.configPath, 'utf8')) as Json;
  writeFileSync(variant, JSON.stringify(mutate(cfg), null, 2), { mode: 0o600 });
  // The port that proves the engine is up: CT101's transparent inbound, the VPS's VLESS inbound.
  const port = (cfg.inbounds as Json[]).find((i) => (end === 'ct101' ? i.protocol === 'dokodemo-door' && i.settings?.followRedirect : i.protocol === 'vless'))?.port as number;
  const stop = () => ns.run(['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--pidfile', l.pidFile, '--retry', 'TERM/5/KILL/2', '--remove-pidfile']);
  const binary = (await ns.run(['which', 'v2ray'])).stdout.trim();
  await stop();
  await ns.run(['start-stop-daemon', '--start', '--quiet', '--background', '--make-pidfile', '--pidfile', l.pidFile, '--output', l.logFile, '--exec', binary, '--', '-config', variant]);
  await waitFor(`the ${end} variant engine listening`, async () => (await ns.run(['ss', '-Hltn', `( sport = :${port} )`])).stdout.includes(`:${port}`), 15_000);
  return stop;
}
