/**
 * Benchmark: privroute's flow reconcile vs `ovs-ofctl --bundle replace-flows`,
 * side by side in one run, on the same private netdev bridge, with the same flows.
 *
 *   no-op:      10k flows installed == desired. privroute: connect, cookie-filtered
 *               dump, diff, send nothing, close — warm (the same desired pipeline object
 *               reconciled repeatedly, as the daemon does) and cold (fresh desired flow
 *               objects, as a one-shot CLI run). ovs-ofctl: replace-flows with the same file.
 *   1% change:  100 of the 10k flows get new actions. privroute: dump, diff, one bundle of
 *               100 modify_strict. ovs-ofctl: replace-flows with the changed file.
 * Each case starts from the same installed state (restored untimed between runs);
 * the median of RUNS runs is reported. Process start-up is part of ovs-ofctl's time,
 * as it is part of what an operator pays; privroute's time includes connecting.
 *
 * usage (root): npx tsx bench/flows-reconcile.ts [--flows 10000] [--runs 5]
 * Prints one JSON object. Target: no-op reconcile ≤ 0.5 × ovs-ofctl's time.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Flow } from '../src/ovs/flow.js';
import { resolvePorts } from '../src/ovs/ports.js';
import { OpenFlowClient } from '../src/ovs/openflow/client.js';
import { applyPipeline } from '../src/flows/apply.js';
import type { CompiledPipeline } from '../src/flows/compile.js';
import { makeCookie } from '../src/flows/cookie.js';
import { ofctlSpec } from '../src/flows/text.js';
import { createNetns, Scope, startOvs, uniquePrefix } from '../src/lab/harness/index.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('flows', 10_000);
const RUNS = arg('runs', 7);
const BRIDGE = 'prbench0';

/** N privroute-owned flows shaped like the chain stage: in_port + destination, reg1 + goto. */
function synthFlows(n: number, variant = 0, changed = new Set<number>()): Flow[] {
  const out: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const v = changed.has(i) ? variant : 0;
    out.push({
      table: 30 + (i % 3) * 10,
      priority: 100 + (i % 7),
      cookie: makeCookie({ round: 0, category: 'chain', rule: 'edge', objectId: i % 0xffffff }),
      match: { in_port: i % 2 ? 'pa' : 'pb', eth_type: 0x0800, ipv4_dst: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      actions: [{ type: 'set_field', field: 'reg1', value: 1000 + (i % 50) + v }],
      gotoTable: 60,
    });
  }
  return out;
}

const pipeline = (flows: Flow[]): CompiledPipeline => ({ topology: { bridge: BRIDGE, ports: [], egressMac: '02:00:00:00:00:00', macSalt: '', accessPort: null }, flows, meters: [], userFlows: [], functionRoutes: [] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const scope = new Scope(uniquePrefix('prb'));
  try {
    const ns = (await createNetns(scope, 'node')).name;
    const ovs = await startOvs(scope, { ns });
    await ovs.addBridge(BRIDGE);
    await ovs.vsctl(['add-port', BRIDGE, 'pa', '--', 'set', 'interface', 'pa', 'type=internal', '--', 'add-port', BRIDGE, 'pb', '--', 'set', 'interface', 'pb', 'type=internal']);
    const ports = new Map<string, number>();
    for (const p of ['pa', 'pb']) ports.set(p, Number((await ovs.vsctl(['get', 'interface', p, 'ofport'])).trim()));
    const endpoint = `unix:${ovs.mgmtSocket(BRIDGE)}`;

    const base = synthFlows(N);
    const changedIdx = new Set(Array.from({ length: Math.max(1, Math.round(N / 100)) }, (_, k) => k * 100));
    const changed = synthFlows(N, 7, changedIdx);
    const file = (name: string, flows: Flow[]) => {
      const f = path.join(scope.dir, name);
      writeFileSync(f, flows.map((fl) => ofctlSpec(resolvePorts(fl, ports))).join('\n') + '\n');
      return f;
    };
    const baseFile = file('base.flows', base);
    const changedFile = file('changed.flows', changed);
    const ofctl = (f: string) => ovs.ofctl(['-O', 'OpenFlow13', '--bundle', 'replace-flows', BRIDGE, f]);
    const reconcile = async (flows: Flow[]) => {
      const c = await OpenFlowClient.connect(endpoint);
      try {
        return await applyPipeline(c, pipeline(flows), ports);
      } finally {
        await c.close();
      }
    };
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };

    // Initial install (one bundle of N adds), then sanity: a second reconcile is a no-op.
    const installS = await time(() => reconcile(base));
    const check = await reconcile(base);
    if (check.sent || check.unchanged !== N) throw new Error(`install not idempotent: ${JSON.stringify({ ...check, diff: undefined })}`);

    const r = { privNoop: [] as number[], privNoopCold: [] as number[], ofctlNoop: [] as number[], privChange: [] as number[], ofctlChange: [] as number[] };
    let modsPerChange = 0;
    for (let i = 0; i < RUNS; i++) {
      r.privNoop.push(await time(async () => {
        const rep = await reconcile(base);
        if (rep.sent) throw new Error('no-op reconcile sent changes');
      }));
      // Cold: fresh desired flow objects (as a one-shot `privroute flows --apply` has), so no
      // memoized canonical text or desired index helps; building them is not timed.
      const fresh = synthFlows(N);
      r.privNoopCold.push(await time(async () => {
        const rep = await reconcile(fresh);
        if (rep.sent) throw new Error('no-op reconcile sent changes');
      }));
      r.ofctlNoop.push(await time(() => ofctl(baseFile)));
      r.privChange.push(await time(async () => {
        modsPerChange = (await reconcile(changed)).diff.mods.length;
      }));
      await reconcile(base); // restore, untimed
      r.ofctlChange.push(await time(() => ofctl(changedFile)));
      await reconcile(base); // restore, untimed
    }
    const final = await reconcile(base);
    const m = { privNoopCold: median(r.privNoopCold), privNoop: median(r.privNoop), ofctlNoop: median(r.ofctlNoop), privChange: median(r.privChange), ofctlChange: median(r.ofctlChange) };
    // Best-of-runs is less sensitive to other load on the machine than the median; both are printed.
    const best = (xs: number[]) => Math.min(...xs);
    const round = (x: number) => Math.round(x * 10000) / 10000;
    process.stdout.write(JSON.stringify({
      bench: 'flows-reconcile',
      flows: N,
      runs: RUNS,
      changed_flows: changedIdx.size,
      privroute: { initial_install_s: round(installS), noop_reconcile_s: round(m.privNoop), noop_reconcile_cold_s: round(m.privNoopCold), change_1pct_s: round(m.privChange), mods_sent_for_1pct: modsPerChange },
      ovs_ofctl_bundle_replace_flows: { noop_s: round(m.ofctlNoop), change_1pct_s: round(m.ofctlChange) },
      ratio_privroute_over_ovs_ofctl: { noop: round(m.privNoop / m.ofctlNoop), noop_cold: round(m.privNoopCold / m.ofctlNoop), change_1pct: round(m.privChange / m.ofctlChange) },
      ratio_best_of_runs: { noop: round(best(r.privNoop) / best(r.ofctlNoop)), change_1pct: round(best(r.privChange) / best(r.ofctlChange)) },
      target: { noop_ratio_max: 0.5, met_by_median: m.privNoop / m.ofctlNoop <= 0.5 },
      load_average_1m: Math.round(loadavg()[0]! * 100) / 100,
      samples_s: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map(round)])),
      verified_in_sync_after: !final.sent,
    }, null, 2) + '\n');
  } finally {
    await scope.close();
  }
}

await main();
