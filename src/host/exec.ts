/**
 * HostExec: the one door through which privroute touches a machine.
 *
 * A HostExec runs an argv (never a shell string) somewhere — the local host, a
 * network namespace, a Proxmox container, a VPS over SSH — and writes files there
 * with an explicit mode. Secrets travel through `stdin` or {@link HostExec.writeFile},
 * never through argv. Every failure is an {@link ExecError} carrying the target,
 * the argv (with `secretArgs` masked), the exit code and stderr.
 */
import { PrivrouteError } from '../core/errors.js';

/** Options for one command run. */
export interface RunOptions {
  /** Bytes or text written to the process's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Kill the process after this many ms (SIGKILL). Default 30 000. */
  timeoutMs?: number;
  /** Exit codes that count as success. Default [0]. */
  okCodes?: readonly number[];
  /** Extra environment variables (merged over the executor's own). */
  env?: Readonly<Record<string, string>>;
  /** Indexes of argv elements that must be masked in errors and logs. */
  secretArgs?: readonly number[];
}

/** The outcome of a successful run (exit code in okCodes). */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Where commands run, for errors and logs: `local`, `netns:lab-node`, `pct:100`, `ssh:root@vps:22`. */
export type TargetName = string;

/** Runs argv and writes files on one target. Implementations must be safe to share. */
export interface HostExec {
  /** Human-readable target, used in every error. */
  readonly target: TargetName;
  /** Run `argv`; resolves when it exits with a code in `okCodes`, otherwise rejects with ExecError. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Write `content` to `path` atomically (temp file in the same dir + rename) with
   * `mode` (e.g. 0o600). The mode is set before any content is written.
   */
  writeFile(path: string, content: string | Buffer, mode: number): Promise<void>;
  /** Read a file; rejects with ExecError if it does not exist. */
  readFile(path: string): Promise<Buffer>;
}

/** Default per-command timeout. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Mask the argv elements listed in `secretArgs`. */
export function maskArgv(argv: readonly string[], secretArgs: readonly number[] = []): string[] {
  return argv.map((a, i) => (secretArgs.includes(i) ? '<redacted>' : a));
}

/** Quote an argv for display only (never for execution). */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * A command failed: non-ok exit code, signal, timeout, or spawn failure.
 * Message format: `running "<argv>" on <target> failed: <reason>\n<stderr>`.
 */
export class ExecError extends PrivrouteError {
  readonly target: TargetName;
  /** argv with secrets masked. */
  readonly argv: readonly string[];
  /** Exit code, or null when killed by a signal / timeout / spawn error. */
  readonly status: number | null;
  readonly stderr: string;
  readonly stdout: string;

  constructor(args: {
    target: TargetName;
    argv: readonly string[];
    secretArgs?: readonly number[];
    code: number | null;
    reason: string;
    stdout?: string;
    stderr?: string;
    cause?: unknown;
    hint?: string;
  }) {
    const masked = maskArgv(args.argv, args.secretArgs);
    const stderr = (args.stderr ?? '').trimEnd();
    super(
      'E_EXEC',
      `running "${displayArgv(masked)}" on ${args.target} failed: ${args.reason}${stderr ? '\n' + stderr : ''}`,
      { cause: args.cause, hint: args.hint },
    );
    this.target = args.target;
    this.argv = masked;
    this.status = args.code;
    this.stderr = stderr;
    this.stdout = args.stdout ?? '';
  }
}
