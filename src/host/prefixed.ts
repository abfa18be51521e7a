/**
 * PrefixedExec: a HostExec that runs every argv behind a fixed argv prefix on an
 * inner HostExec — `ip netns exec NS ...`, `pct exec 100 -- ...` — and reports
 * errors under its own target with the caller's argv (not the wrapper's).
 */
import { ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';

/** Environment variable names we are willing to pass through an `env` prefix. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Turn `opts.env` into an `env K=V ...` argv prefix, for targets whose transport
 * cannot carry an environment (pct exec, SSH exec). Values travel in argv, so
 * secrets must go through stdin instead. Returns [] when there is no env.
 * @throws Error on a variable name that `env` would misparse.
 */
export function envPrefix(env: Readonly<Record<string, string>> | undefined): string[] {
  if (!env || Object.keys(env).length === 0) return [];
  const bad = Object.keys(env).filter((k) => !ENV_NAME.test(k));
  if (bad.length > 0) throw new Error(`invalid environment variable name(s): ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  return ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
}

/**
 * Re-label an inner ExecError (whose argv includes the wrapper prefix) as a
 * failure of `argv` on `target`, keeping code, stdout, stderr and the cause.
 */
export function relabel(e: unknown, target: string, argv: readonly string[], opts: RunOptions): unknown {
  if (!(e instanceof ExecError)) return e;
  const reason = e.message.split('\n')[0]!.replace(/^running ".*" on \S+ failed: /, '');
  return new ExecError({
    target,
    argv,
    secretArgs: opts.secretArgs,
    code: e.status,
    reason,
    stdout: e.stdout,
    stderr: e.stderr,
    cause: e,
    hint: e.hint,
  });
}

/**
 * Runs `[...prefix, ...env, ...argv]` on `inner`. Files are read and written
 * through `inner` unchanged, which is right when the wrapper changes only the
 * network namespace (the filesystem is shared) — not for containers with their
 * own rootfs (see PctExec).
 */
export class PrefixedExec implements HostExec {
  constructor(
    private readonly inner: HostExec,
    private readonly prefix: readonly string[],
    readonly target: string,
  ) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    // The env is applied inside the wrapper (env K=V argv) so it reaches the
    // wrapped command even when the wrapper itself does not forward it.
    const env = envPrefix(opts.env);
    const full = [...this.prefix, ...env, ...argv];
    const shift = this.prefix.length + env.length;
    try {
      return await this.inner.run(full, {
        ...opts,
        env: undefined,
        secretArgs: opts.secretArgs?.map((i) => i + shift),
      });
    } catch (e) {
      throw relabel(e, this.target, argv, opts);
    }
  }

  writeFile(path: string, content: string | Buffer, mode: number): Promise<void> {
    return this.inner.writeFile(path, content, mode);
  }

  readFile(path: string): Promise<Buffer> {
    return this.inner.readFile(path);
  }
}
