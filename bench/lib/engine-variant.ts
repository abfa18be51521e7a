/**
 * Bench hook: run CT101's engine with a variant of the config privroute wrote
 * (e.g. mux on the VPS outbound), measure, then put privroute's own config back
 * with `privroute init` (the engine is found stopped and restarted from the
 * desired config). Lab only (netns runtime, process service manager).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsExec } from '../../src/host/netns.js';
import type { Lab } from '../../src/lab/lab.js';
import { waitFor } from '../../src/lab/harness/index.js';
import { clientLayout } from '../../src/xray/client.js';

type Json = Record<string, any>;

/** Add v2ray mux (mux.cool) to every VLESS outbound: one TLS connection to the VPS carries many flows. */
export function withMux(concurrency: number): (cfg: Json) => Json {
  return (cfg) => ({ ...cfg, outbounds: cfg.outbounds.map((o: Json) => (o.protocol === 'vless' ? { ...o, mux: { enabled: true, concurrency } } : o)) });
}

/** Run `fn` with CT101's engine on `mutate(config)`; always restores privroute's config (init). */
export async function withClientVariant<T>(lab: Lab, mutate: (cfg: Json) => Json, fn: () => Promise<T>): Promise<T> {
  const ct101 = new NetnsExec(`${lab.prefix}-ct101`);
  const l = clientLayout(path.join(lab.dir, 'ct101-files'));
  const variant = `${l.configPath}.variant.json`;
  const cfg = JSON.parse(readFileSync(l.configPath, 'utf8')) as Json;
  writeFileSync(variant, JSON.stringify(mutate(cfg), null, 2), { mode: 0o600 });
  const port = (cfg.inbounds as Json[]).find((i) => i.protocol === 'dokodemo-door' && i.settings?.followRedirect)?.port as number;
  const stop = () => ct101.run(['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--pidfile', l.pidFile, '--retry', 'TERM/5/KILL/2', '--remove-pidfile']);
  const binary = (await ct101.run(['which', 'v2ray'])).stdout.trim();
  await stop();
  try {
    await ct101.run(['start-stop-daemon', '--start', '--quiet', '--background', '--make-pidfile', '--pidfile', l.pidFile, '--output', l.logFile, '--exec', binary, '--', '-config', variant]);
    await waitFor('the variant engine listening', async () => (await ct101.run(['ss', '-Hltn', `( sport = :${port} )`])).stdout.includes(`:${port}`), 15_000);
    return await fn();
  } finally {
    await stop();
    const r = await lab.privroute(['init'], { okCodes: [0, 1] });
    if (r.code !== 0) throw new Error(`privroute init did not restore CT101's engine after the variant:\n${r.stderr}`);
  }
}
