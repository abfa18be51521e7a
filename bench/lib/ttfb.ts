/**
 * Time to first byte of small HTTP requests from several namespaces to one URL,
 * interleaved (request i from every path before request i+1) so background load
 * hits every path alike. curl's own `time_starttransfer` (from its start of the
 * transfer, so curl's process start-up is not counted).
 */
import type { NetnsExec } from '../../src/host/netns.js';
import { median } from './cli-timing.js';

/** Medians (ms), the difference to the first "direct" path, and the failures per path. */
export async function ttfb(paths: Record<string, NetnsExec>, url: string, n: number): Promise<Record<string, unknown>> {
  const ms: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  const failed: Record<string, number> = Object.fromEntries(Object.keys(paths).map((k) => [k, 0]));
  for (let i = 0; i < n; i++) {
    for (const [name, ns] of Object.entries(paths)) {
      const r = await ns.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_starttransfer}', '--max-time', '10', url], { okCodes: [0, 6, 7, 28, 52, 56] });
      const [code, t] = r.stdout.trim().split(' ');
      if (r.code !== 0 || code !== '200') failed[name]!++;
      else ms[name]!.push(Number(t) * 1000);
    }
  }
  const med = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v.length ? Math.round(median(v) * 100) / 100 : null]));
  const direct = Object.keys(med).find((k) => k.startsWith('direct'));
  const extra = Object.fromEntries(Object.entries(med).filter(([k]) => k !== direct).map(([k, v]) => [k, v !== null && direct && med[direct] !== null ? Math.round((v - med[direct]!) * 100) / 100 : null]));
  return { url, requests_per_path: n, median_ms: med, extra_over_direct_ms: extra, target: 'chain <= direct + 4 ms', failed };
}
