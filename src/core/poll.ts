/**
 * The one poll-until loop: for the few things that have no event to wait on (a
 * daemon's control socket appearing, a service binding its port). Everything that
 * has an event (OVSDB cur_cfg, process exit) waits on the event instead.
 */

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up once this much time has passed (checked after each probe). */
  timeoutMs: number;
  /** Pause between probes. Default 50 ms. */
  intervalMs?: number;
  /** Injectable sleep (tests). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** A probe that throws ends the poll with that error (default: it counts as "not yet"). */
  failFast?: boolean;
  /** The error to throw on timeout, from the last probe's error (undefined if the last probe returned false). */
  onTimeout: (lastError: unknown) => Error;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Call `probe` until it returns true. A probe that throws counts as "not yet"
 * (its error is kept for the timeout message) unless `failFast`. Resolves as soon as a probe
 * succeeds; rejects with `onTimeout(lastError)` once `timeoutMs` has passed.
 * Side effects: only the probe's own.
 */
export async function pollUntil(probe: () => Promise<boolean> | boolean, o: PollOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const sleep = o.sleep ?? realSleep;
  for (;;) {
    let last: unknown;
    try {
      if (await probe()) return;
    } catch (e) {
      if (o.failFast) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw o.onTimeout(last);
    await sleep(o.intervalMs ?? 50);
  }
}
