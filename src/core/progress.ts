/**
 * Step progress for long operations (init, rotate, lab): one line per step with
 * its outcome, duration and detail.
 *
 *   const p = progress(process.stderr, { json: ctx.opts.json });
 *   await p.step('ovs: bridge', async () => (created ? 'created' : 'unchanged'));
 *   p.skip('mesh: netmaker', 'netmaker.enabled is false');
 *
 * On a TTY a running step shows `… name`, rewritten in place as `✓ name  0.4s  created`
 * (or `✗` / `-` for failed / skipped). Off a TTY (logs, CI) only the final line is
 * printed, in plain ASCII: `ok   name (0.4s) created`. With `json` nothing is
 * printed; the records are available from `records` for the command's JSON output.
 * Step details are free text: never put secrets in them (they are scrubbed anyway).
 */
import { performance } from 'node:perf_hooks';
import { redactText } from './logger.js';

/** What a step body may return: a detail text (`created`, `unchanged`), or a status and detail. */
export type StepResult = string | void | { status: 'ok' | 'skip'; detail?: string };

/** One finished step. */
export interface StepRecord {
  name: string;
  status: 'ok' | 'failed' | 'skip';
  /** Milliseconds the step took (0 for skip()). */
  ms: number;
  detail?: string;
}

export interface ProgressOptions {
  /** Print nothing; only collect records. */
  json?: boolean;
  /** Force TTY mode on/off (default: `out.isTTY`). */
  tty?: boolean;
  /** Colors on a TTY (default: true unless $NO_COLOR is set). */
  color?: boolean;
  /** Clock in ms (tests). Default performance.now. */
  now?: () => number;
}

/** A step reporter bound to one output stream. */
export interface Progress {
  /**
   * Run `fn` as step `name` and report its outcome. Returns what `fn` returned.
   * If `fn` throws, a failed line (with the error message) is printed and the
   * error is rethrown unchanged.
   */
  step<R extends StepResult>(name: string, fn: () => Promise<R> | R): Promise<R>;
  /** Report a step that was not run, with the reason. */
  skip(name: string, reason: string): void;
  /** Every finished step, in order. */
  readonly records: readonly StepRecord[];
  /** Counts by status. */
  summary(): { ok: number; failed: number; skipped: number };
}

/** Format a duration for humans: `12ms`, `1.4s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const SYMBOL = { ok: '✓', failed: '✗', skip: '-' } as const;
const PLAIN = { ok: 'ok  ', failed: 'FAIL', skip: 'skip' } as const;
const COLOR = { ok: '\x1b[32m', failed: '\x1b[31m', skip: '\x1b[2m' } as const;
const RESET = '\x1b[0m';

/** Create a step reporter writing to `out` (stderr is the usual choice, keeping stdout for data). */
export function progress(out: NodeJS.WritableStream, opts: ProgressOptions = {}): Progress {
  const tty = opts.tty ?? (out as { isTTY?: boolean }).isTTY === true;
  const color = tty && (opts.color ?? process.env.NO_COLOR === undefined);
  const now = opts.now ?? (() => performance.now());
  const records: StepRecord[] = [];

  function line(r: StepRecord): string {
    const detail = r.detail ? redactText(r.detail) : '';
    if (tty) {
      const sym = color ? `${COLOR[r.status]}${SYMBOL[r.status]}${RESET}` : SYMBOL[r.status];
      const dur = r.status === 'skip' ? '' : `  ${formatDuration(r.ms)}`;
      return `${sym} ${r.name}${dur}${detail ? `  ${detail}` : ''}`;
    }
    const dur = r.status === 'skip' ? '' : ` (${formatDuration(r.ms)})`;
    return `${PLAIN[r.status]} ${r.name}${dur}${detail ? (r.status === 'ok' ? ' ' : ': ') + detail : ''}`;
  }

  function finish(r: StepRecord): void {
    records.push(r);
    if (opts.json) return;
    // On a TTY, replace the "running" line (carriage return + clear to end of line).
    out.write((tty ? '\r\x1b[K' : '') + line(r) + '\n');
  }

  return {
    records,
    async step<R extends StepResult>(name: string, fn: () => Promise<R> | R): Promise<R> {
      if (tty && !opts.json) out.write(`… ${name}`);
      const t0 = now();
      let result: R;
      try {
        result = await fn();
      } catch (e) {
        finish({ name, status: 'failed', ms: now() - t0, detail: e instanceof Error ? e.message.split('\n')[0] : String(e) });
        throw e;
      }
      const ms = now() - t0;
      if (typeof result === 'object' && result !== null) finish({ name, status: result.status, ms, detail: result.detail });
      else finish({ name, status: 'ok', ms, detail: typeof result === 'string' ? result : undefined });
      return result;
    },
    skip(name: string, reason: string): void {
      finish({ name, status: 'skip', ms: 0, detail: reason });
    },
    summary() {
      return {
        ok: records.filter((r) => r.status === 'ok').length,
        failed: records.filter((r) => r.status === 'failed').length,
        skipped: records.filter((r) => r.status === 'skip').length,
      };
    },
  };
}
