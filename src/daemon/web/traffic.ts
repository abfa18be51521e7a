/**
 * Throughput history for the dashboard's charts, bounded in memory: per series
 * (one per client, one per hop) at most `points` rates (default 360: one hour
 * at the 10 s sampling interval), and at most `maxSeries` series (the least
 * recently updated dropped first). Fed with cumulative byte counters (the
 * gateway's per-peer rx/tx, OVS's per-port statistics); stores rates in bytes/s.
 * A counter that went backwards (a restarted device) restarts the series' base.
 */

/** One chart's data: sample times (ms) and rates (bytes/s) in each direction. */
export interface Series {
  t: number[];
  rx: number[];
  tx: number[];
}

/** A cumulative counter reading. */
export interface CounterReading {
  key: string;
  rxBytes: number;
  txBytes: number;
}

/** Bounded rate history of many counters. */
export class TrafficHistory {
  private readonly series = new Map<string, Series & { last: { at: number; rx: number; tx: number } }>();

  constructor(
    private readonly points = 360,
    private readonly maxSeries = 300,
  ) {}

  /** Record readings taken at `at` (ms). The first reading of a key only sets its base. */
  record(at: number, readings: readonly CounterReading[]): void {
    for (const r of readings) {
      const s = this.series.get(r.key);
      if (!s) {
        if (this.series.size >= this.maxSeries) this.series.delete(this.series.keys().next().value!);
        this.series.set(r.key, { t: [], rx: [], tx: [], last: { at, rx: r.rxBytes, tx: r.txBytes } });
        continue;
      }
      // Re-insert: Map order is then "least recently updated first" for eviction.
      this.series.delete(r.key);
      this.series.set(r.key, s);
      const dt = (at - s.last.at) / 1000;
      if (dt > 0 && r.rxBytes >= s.last.rx && r.txBytes >= s.last.tx) {
        s.t.push(at);
        s.rx.push((r.rxBytes - s.last.rx) / dt);
        s.tx.push((r.txBytes - s.last.tx) / dt);
        if (s.t.length > this.points) {
          s.t.shift();
          s.rx.shift();
          s.tx.shift();
        }
      }
      s.last = { at, rx: r.rxBytes, tx: r.txBytes };
    }
  }

  /** Forget series whose key is not in `keep` (a revoked client). */
  retain(keep: (key: string) => boolean): void {
    for (const k of [...this.series.keys()]) if (!keep(k)) this.series.delete(k);
  }

  /** Copies of the series whose key starts with `prefix`, keyed without the prefix. */
  snapshot(prefix: string): Record<string, Series> {
    const out: Record<string, Series> = {};
    for (const [k, s] of this.series) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = { t: [...s.t], rx: [...s.rx], tx: [...s.tx] };
    return out;
  }

  /** How many rates are held in all (for the memory bound's test). */
  get size(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.t.length;
    return n;
  }
}
