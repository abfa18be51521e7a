/**
 * Bench measurement passes: iperf3 runs over named paths, interleaved (every path
 * per direction and repetition before the next) so background load hits them alike,
 * with per-process CPU around each run; and their medians (throughput, core-seconds
 * per Gbit per process). Pure summaries over the recorded runs.
 */
import { performance } from 'node:perf_hooks';
import type { NetnsExec } from '../../src/host/netns.js';
import { median } from './cli-timing.js';
import { ALL_LABELLED, cpuSample, cpuUse, perGbit, type Labeller } from './cpu.js';
import { iperf, type Iperf } from './iperf.js';
import { packetSample, packetsPerMb, type CountedIf } from './packets.js';

/** Where an iperf3 path runs: client namespace → server address:port. */
export interface Path {
  ns: NetnsExec;
  addr: string;
  port: number;
}
export type Dir = 'up' | 'down';
/** Runs of one pass: path name → direction → runs. */
export type PassRuns = Record<string, Record<Dir, Iperf[]>>;

/** Run `reps` × (up, down) × every path; `log` gets one line per run. */
export async function runPass(o: {
  label: string;
  paths: Record<string, Path>;
  reps: number;
  seconds: number;
  labellers: Labeller[];
  /** Interfaces whose packets per MB of goodput are recorded per run (optional). */
  interfaces?: readonly CountedIf[];
  log: (l: string) => void;
}): Promise<PassRuns> {
  const runs: PassRuns = {};
  for (let rep = 0; rep < o.reps; rep++) {
    for (const dir of ['up', 'down'] as const) {
      for (const [name, { ns, addr, port }] of Object.entries(o.paths)) {
        const p0 = o.interfaces ? await packetSample(o.interfaces) : null;
        const c0 = cpuSample(o.labellers);
        const t0 = performance.now();
        const r = await iperf(ns, addr, port, dir === 'down', o.seconds);
        r.cpu_pct = cpuUse(c0, cpuSample(o.labellers), (performance.now() - t0) / 1000);
        if (p0) r.packets_per_mb = packetsPerMb(p0, await packetSample(o.interfaces!), (r.mbit_s * 1e6 * o.seconds) / 8);
        r.core_s_per_gbit = perGbit(r.cpu_pct, r.mbit_s);
        (runs[name] ??= { up: [], down: [] })[dir].push(r);
        o.log(`${o.label} ${name} ${dir}: ${r.mbit_s} Mbit/s, ${r.core_s_per_gbit?.[ALL_LABELLED] ?? '—'} core-s/Gbit (server saw ${r.server_saw})`);
      }
    }
  }
  return runs;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** Median throughput of a path and direction (0 when a direction carried nothing). */
export function medMbit(runs: PassRuns, name: string, dir: Dir): number {
  return median(runs[name]![dir].map((r) => r.mbit_s));
}

/** Median core-seconds per Gbit per process (and all labelled together) for a path and direction. */
export function medCost(runs: PassRuns, name: string, dir: Dir): Record<string, number> {
  const rs = runs[name]![dir].filter((r) => r.core_s_per_gbit);
  const keys = new Set(rs.flatMap((r) => Object.keys(r.core_s_per_gbit!)));
  return Object.fromEntries([...keys].map((k) => [k, r1(median(rs.map((r) => r.core_s_per_gbit![k] ?? 0)))]).sort((a, b) => (b[1] as number) - (a[1] as number)));
}

/** One row of the attribution table: throughput and CPU cost, up and down. */
export interface AttributionRow {
  what: string;
  mbit_s: Record<Dir, number>;
  /** All labelled processes of that chain, core-s per Gbit. */
  core_s_per_gbit: Record<Dir, number | null>;
  /** Per process, core-s per Gbit. */
  per_process: Record<Dir, Record<string, number>>;
  /** Per wireguard-go interface, rx+tx packets per MB of goodput (medians; absent when not counted). */
  packets_per_mb?: Record<Dir, Record<string, number>>;
}

/** Median packets per MB per interface for a path and direction (interfaces that moved packets). */
export function medPackets(runs: PassRuns, name: string, dir: Dir): Record<string, number> {
  const rs = runs[name]![dir].filter((r) => r.packets_per_mb);
  const keys = new Set(rs.flatMap((r) => Object.keys(r.packets_per_mb!)));
  return Object.fromEntries([...keys].map((k) => [k, Math.round(median(rs.map((r) => r.packets_per_mb![k] ?? 0)))]).filter(([, v]) => (v as number) > 0));
}

/** The row of path `name` in `runs`, described as `what`. */
export function attributionRow(what: string, runs: PassRuns, name: string): AttributionRow {
  const cost = { up: medCost(runs, name, 'up'), down: medCost(runs, name, 'down') };
  return {
    what,
    mbit_s: { up: medMbit(runs, name, 'up'), down: medMbit(runs, name, 'down') },
    core_s_per_gbit: { up: cost.up[ALL_LABELLED] ?? null, down: cost.down[ALL_LABELLED] ?? null },
    per_process: cost,
    packets_per_mb: { up: medPackets(runs, name, 'up'), down: medPackets(runs, name, 'down') },
  };
}
