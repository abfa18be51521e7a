/**
 * A minimal async mutex: `run(fn)` waits for every earlier holder, so at most
 * one function runs at a time, in call order. A rejected holder releases the
 * lock like a resolved one (a failing job never wedges the daemon).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  /** True while a holder runs. */
  get locked(): boolean {
    return this.held;
  }

  /** Run `fn` once every earlier holder has finished; resolves/rejects with it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      this.held = true;
      try {
        return await fn();
      } finally {
        this.held = false;
      }
    });
    // The next holder waits for this one whatever its outcome.
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}
