/**
 * No-op CLI timings on a converged lab, shared by bench/init-noop.ts and
 * bench/lab-chain.ts: `privroute --version` (bare start-up), a no-op `init` and a
 * `plan`, each run `reps` times inside the lab's node namespace with the CLI the
 * bench itself was loaded from (dist/ when run as `node dist/bench/...`).
 */
import { performance } from 'node:perf_hooks';
import { spawnArgv } from '../../src/host/local.js';
import type { Lab } from '../../src/lab/lab.js';
import { cliArgv } from '../../src/lab/self.js';

/** Median of a non-empty list. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Round to ms (in seconds). */
export const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** One timed CLI run and its per-component times (from the `ok <name> (<t>)` lines). */
export interface CliRun {
  s: number;
  code: number;
  components: Record<string, number>;
}

/** Time one CLI run inside the node namespace; also the per-component times from its stderr. */
export async function timedCli(lab: Lab, args: string[]): Promise<CliRun> {
  const t0 = performance.now();
  const r = await lab.privroute(args, { okCodes: [0, 1] });
  const s = (performance.now() - t0) / 1000;
  const components: Record<string, number> = {};
  for (const m of r.stderr.matchAll(/^ok\s+(\S+) \((\d+(?:\.\d+)?)(ms|s)\)/gm)) components[m[1]!] = r3(Number(m[2]) / (m[3] === 'ms' ? 1000 : 1));
  return { s: r3(s), code: r.code, components };
}

/** The CLI timings (JSON-ready): medians against the targets, and every run. */
export async function cliTimings(lab: Lab, reps: number): Promise<Record<string, unknown>> {
  const startup: number[] = [];
  const inits: CliRun[] = [];
  const plans: CliRun[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await spawnArgv(`netns:${lab.world.node.name}`, ['ip', 'netns', 'exec', lab.world.node.name, ...cliArgv(), '--version']);
    startup.push(r3((performance.now() - t) / 1000));
    inits.push(await timedCli(lab, ['init']));
    plans.push(await timedCli(lab, ['plan']));
  }
  const comps = (runs: CliRun[]) => Object.fromEntries(Object.keys(runs[0]!.components).map((c) => [c, r3(median(runs.map((x) => x.components[c] ?? NaN)))]));
  const initMed = median(inits.map((x) => x.s));
  const planMed = median(plans.map((x) => x.s));
  const versionMed = median(startup);
  return {
    runner: cliArgv().some((a) => a.endsWith('.ts')) ? 'tsx (source)' : 'node (dist)',
    reps,
    startup_version_s: { median: r3(versionMed), runs: startup, target: 0.15, met: versionMed <= 0.15, note: 'includes `ip netns exec`' },
    noop_init_s: { median: r3(initMed), runs: inits.map((x) => x.s), exit_codes: inits.map((x) => x.code), target: 2, met: initMed <= 2 },
    noop_plan_s: { median: r3(planMed), runs: plans.map((x) => x.s), exit_codes: plans.map((x) => x.code), target: 2, met: planMed <= 2 },
    // Components overlap (observes run concurrently), so these do not add up to the total.
    noop_init_components_s: comps(inits),
    noop_plan_components_s: comps(plans),
  };
}
