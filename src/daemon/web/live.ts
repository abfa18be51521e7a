/**
 * What keeps the dashboard live without a scheduled repair:
 *   - a read-only status probe (the same collectStatus as `privroute status`),
 *     run only while a dashboard is watching (a /api/state request in the last
 *     30 s), one after the other (`probeEveryMs` apart, default 1 s), never two at once; so a hop that dies
 *     shows red within a few seconds, while an unwatched daemon probes nothing
 *     beyond its scheduled health job;
 *   - a traffic sampler every `sampleEveryMs` (always: the charts cover the last
 *     hour), feeding the bounded {@link TrafficHistory}.
 * Neither changes anything; both log and keep going on failure.
 */
import type { Logger } from 'pino';
import type { StatusReport } from '../../health/types.js';
import { TrafficHistory, type CounterReading } from './traffic.js';

/** Options of {@link LiveMonitor}. */
export interface LiveOptions {
  /** Collect a status (read-only). */
  probe: () => Promise<StatusReport>;
  /** Read the cumulative counters (keys `client:<name>`, `hop:<role>`). */
  sample: () => Promise<CounterReading[]>;
  logger?: Logger;
  probeEveryMs?: number;
  sampleEveryMs?: number;
  viewerTtlMs?: number;
  now?: () => number;
}

/** The on-demand status probe and the traffic sampler of one daemon. */
export class LiveMonitor {
  readonly history = new TrafficHistory();
  private last: StatusReport | null = null;
  private viewedAt = -Infinity;
  private probeEnd = -Infinity;
  private sampleAt = -Infinity;
  private probing: Promise<void> | null = null;
  private sampling: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly o: Required<Omit<LiveOptions, 'logger'>> & { logger?: Logger };

  constructor(o: LiveOptions) {
    this.o = { probeEveryMs: 1000, sampleEveryMs: 10_000, viewerTtlMs: 30_000, now: Date.now, ...o };
  }

  /** Start ticking (every second; the timer does not keep the process alive). */
  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.tick();
  }

  /** A dashboard looked: keep probing for the next `viewerTtlMs`. */
  viewed(): void {
    this.viewedAt = this.o.now();
    if (this.timer) this.tick();
  }

  /** The last probe's status (null before the first). */
  latest(): StatusReport | null {
    return this.last;
  }

  /** Start whatever is due (never overlapping itself). */
  tick(): void {
    const now = this.o.now();
    if (!this.probing && now - this.viewedAt < this.o.viewerTtlMs && now - this.probeEnd >= this.o.probeEveryMs) {
      this.probing = this.o.probe().then(
        (s) => {
          this.last = s;
          this.o.logger?.debug({ ms: this.o.now() - now, ok: s.ok, failed: s.hops.filter((h) => !h.ok).map((h) => h.hop) }, 'dashboard status probe');
        },
        (e) => this.o.logger?.warn({ err: e }, 'dashboard status probe failed'),
      ).finally(() => {
        this.probeEnd = this.o.now();
        this.probing = null;
      });
    }
    if (!this.sampling && now - this.sampleAt >= this.o.sampleEveryMs) {
      this.sampleAt = now;
      this.sampling = this.o.sample().then(
        (r) => this.history.record(this.o.now(), r),
        (e) => this.o.logger?.debug({ err: e }, 'traffic sample failed'),
      ).finally(() => void (this.sampling = null));
    }
  }

  /** Stop ticking and wait for a running probe/sample. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.viewedAt = -Infinity;
    await Promise.all([this.probing, this.sampling]);
  }
}
