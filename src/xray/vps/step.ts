/**
 * The step wrapper: every failure on a remote host becomes an error naming the
 * host and the step (`vps:config on ssh:root@vps:22: ...`), keeping the original
 * message (e.g. SshExec's two host-key fingerprints) and its hint.
 */
import { isPrivrouteError, OperationError } from '../../core/errors.js';
import type { StepOutcome, StepReport } from '../types.js';

/** Collects the step reports of one apply. */
export class Steps {
  readonly reports: StepReport[] = [];
  constructor(readonly target: string, readonly prefix: string) {}

  /** Record an outcome. */
  note(step: string, outcome: StepOutcome, detail?: string): void {
    this.reports.push({ step: `${this.prefix}:${step}`, target: this.target, outcome, ...(detail ? { detail } : {}) });
  }

  /** Run `fn` as step `step`; rethrow any failure as an OperationError naming target and step. */
  async run<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw wrapStepError(`${this.prefix}:${step}`, this.target, e);
    }
  }
}

/** Wrap `e` so its message starts with `<step>: on <target>:` (idempotent for already-wrapped errors). */
export function wrapStepError(step: string, target: string, e: unknown): Error {
  if (e instanceof OperationError && e.step === step) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const hint = isPrivrouteError(e) ? e.hint : undefined;
  // Errors that already start with the target (the capability check) are not prefixed twice.
  const where = msg.startsWith(`${target}:`) ? msg : `on ${target}: ${msg}`;
  return new OperationError(step, where, { cause: e, ...(hint ? { hint } : {}) });
}
