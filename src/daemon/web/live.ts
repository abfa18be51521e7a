/**
 * What keeps the dashboard live without a scheduled repair:
 *   - a read-only status probe (the same collectStatus as `privroute status`),
 *     run only while a dashboard is watching (a /api/state request in the last
 *     30 s), one after the other (`probeEveryMs` apart, default 1 s), never two
 *     at once;
 *   - beside it, a quick probe of the hops that need no process spawn (the
 *     gateway's UAPI socket, OVSDB): the full probe spawns many processes (SSH to
 *     the VPS, execs in CT101) and takes seconds, more on a loaded node, so the
 *     quick probe's fresher verdicts replace those hops in the full status; a
 *     dead gateway shows red within about a second either way;
 *   - a traffic sampler every `sampleEveryMs` (always: the charts cover the last
 *     hour), feeding the bounded {@link TrafficHistory}.
 * None changes anything; each logs and keeps going on failure.
 */
import type { Logger } from 'pino';
import type { HopHealth, StatusReport } from '../../health/types.js';
import { TrafficHistory, type CounterReading } from './traffic.js';

/** Options of {@link LiveMonitor}. */
export interface LiveOptions {
  /** Collect a status (read-only). */
  probe: () => Promise<StatusReport>;
  /** Probe the cheap hops (read-only); their verdicts override the full status's when newer. */
  quick?: () => Promise<HopHealth[]>;
  /** Read the cumulative counters (keys `client:<name>`, `hop:<role>`). */
  sample: () => Promise<CounterReading[]>;
  logger?: Logger;
  probeEveryMs?: number;
  sampleEveryMs?: number;
  viewerTtlMs?: number;
  now?: () => number;
}

/**
 * The full status with the quick probe's hops put in, `ok` recomputed (`at`
 * stays the full status's). The quick verdicts win when they are newer than the
 * full status or at most `freshMs` old: they are the same checks, run
 * continuously, while a full status is stamped when its (long) collection ended.
 * Pure.
 */
export function overlay(full: StatusReport | null, quick: { at: string; hops: HopHealth[] } | null, now = Date.now(), freshMs = 10_000): StatusReport | null {
  if (!full || !quick) return full;
  if (quick.at <= full.at && Date.parse(quick.at) < now - freshMs) return full;
  const by = new Map(quick.hops.map((h) => [h.hop, h]));
  const hops = full.hops.map((h) => by.get(h.hop) ?? h);
  return { ...full, hops, ok: hops.every((h) => h.ok) };
}

/** One self-spacing loop: runs `fn` when due, never overlapping itself. */
class Loop {
  running: Promise<void> | null = null;
  end = -Infinity;
  constructor(
    private readonly fn: (started: number) => Promise<void>,
    private readonly now: () => number,
  ) {}
  due(now: number, gapMs: number): void {
    if (this.running || now - this.end < gapMs) return;
    this.running = this.fn(now).finally(() => {
      this.end = this.now();
      this.running = null;
    });
  }
}

/** The on-demand status probes and the traffic sampler of one daemon. */
export class LiveMonitor {
  readonly history = new TrafficHistory();
  private last: StatusReport | null = null;
  private quickLast: { at: string; hops: HopHealth[] } | null = null;
  private viewedAt = -Infinity;
  private sampleAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly o: Required<Omit<LiveOptions, 'logger' | 'quick'>> & Pick<LiveOptions, 'logger' | 'quick'>;
  private readonly full: Loop;
  private readonly fast: Loop;
  private readonly sampler: Loop;

  constructor(o: LiveOptions) {
    this.o = { probeEveryMs: 1000, sampleEveryMs: 10_000, viewerTtlMs: 30_000, now: Date.now, ...o };
    this.full = new Loop(async (t0) => {
      try {
        const s = await this.o.probe();
        // Stamped with its start: a verdict is no newer than that (a probe can take many seconds), so a
        // quick probe that started later wins over it in overlay().
        this.last = { ...s, at: new Date(t0).toISOString() };
        this.o.logger?.debug({ ms: this.o.now() - t0, ok: s.ok, failed: s.hops.filter((h) => !h.ok).map((h) => h.hop) }, 'dashboard status probe');
      } catch (e) {
        this.o.logger?.warn({ err: e }, 'dashboard status probe failed');
      }
    }, this.o.now);
    this.fast = new Loop(async () => {
      try {
        const hops = await this.o.quick!();
        this.quickLast = { at: new Date(this.o.now()).toISOString(), hops };
      } catch (e) {
        this.o.logger?.debug({ err: e }, 'dashboard quick probe failed');
      }
    }, this.o.now);
    this.sampler = new Loop(async () => {
      try {
        this.history.record(this.o.now(), await this.o.sample());
      } catch (e) {
        this.o.logger?.debug({ err: e }, 'traffic sample failed');
      }
    }, this.o.now);
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

  /** The last full probe's status (null before the first). */
  latest(): StatusReport | null {
    return this.last;
  }

  /** The last quick probe's hops and time (null before the first). */
  latestQuick(): { at: string; hops: HopHealth[] } | null {
    return this.quickLast;
  }

  /** Start whatever is due (each loop never overlapping itself). */
  tick(): void {
    const now = this.o.now();
    if (now - this.viewedAt < this.o.viewerTtlMs) {
      this.full.due(now, this.o.probeEveryMs);
      if (this.o.quick) this.fast.due(now, this.o.probeEveryMs);
    }
    if (now - this.sampleAt >= this.o.sampleEveryMs) {
      this.sampleAt = now;
      this.sampler.due(now, 0);
    }
  }

  /** Stop ticking and wait for running probes/samples. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.viewedAt = -Infinity;
    await Promise.all([this.full.running, this.fast.running, this.sampler.running]);
  }
}
