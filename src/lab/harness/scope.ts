/**
 * Lab/test resource scopes. Every resource a test or `privroute lab` creates is
 * registered with a Scope, which cleans up in reverse order (LIFO), even when
 * some cleanups fail, and records enough on disk (owner pid, netns names, pid
 * files) for {@link sweepStale} to clean up after a killed run.
 */
import { mkdirSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Root of every private run dir the lab and tests create. */
export const LAB_ROOT = process.env.PRIVROUTE_LAB_ROOT ?? '/run/privroute-lab';

/** A short unique resource prefix: `<tag>` + 4 hex chars (keeps interface names ≤ 15). */
export function uniquePrefix(tag = 'pr'): string {
  return tag + randomBytes(2).toString('hex');
}

interface Deferred {
  label: string;
  fn: () => Promise<void> | void;
}

/** LIFO cleanup registry backed by a private dir `LAB_ROOT/<prefix>` (mode 0700). */
export class Scope {
  readonly prefix: string;
  readonly dir: string;
  private readonly stack: Deferred[] = [];
  private closed = false;

  /** Create the scope's dir and record the owner pid (for the stale sweep). */
  constructor(prefix: string) {
    if (!/^[a-z][a-z0-9]{1,9}$/.test(prefix)) throw new Error(`invalid scope prefix ${JSON.stringify(prefix)}`);
    this.prefix = prefix;
    this.dir = path.join(LAB_ROOT, prefix);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(path.join(this.dir, 'pids'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(this.dir, 'owner'), String(process.pid));
    this.defer('scope dir', () => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Register a cleanup; runs at close() in reverse registration order. */
  defer(label: string, fn: () => Promise<void> | void): void {
    this.stack.push({ label, fn });
  }

  /** Record a namespace name on disk so a sweep can find it after a crash. */
  recordNetns(name: string): void {
    appendFileSync(path.join(this.dir, 'netns'), name + '\n');
  }

  /** Run every cleanup (LIFO). Errors are collected and reported once at the end. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: string[] = [];
    while (this.stack.length > 0) {
      const d = this.stack.pop()!;
      try {
        await d.fn();
      } catch (e) {
        errors.push(`${d.label}: ${(e as Error).message}`);
      }
    }
    if (errors.length > 0) process.stderr.write(`[lab] cleanup of ${this.prefix} had errors:\n  ${errors.join('\n  ')}\n`);
  }
}
