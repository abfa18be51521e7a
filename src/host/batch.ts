/**
 * Read-only observation of a host in ONE round trip (issue 16: the VPS was
 * observed with ~20 sequential SSH commands, 110–190 ms each).
 *
 * {@link observeBatch} runs a list of predicted probes — commands and file reads
 * — in one {@link BatchRunner.runBatch} call when the executor can batch (SshExec:
 * one SSH exec request carrying {@link batchScript}'s script, built by the quoting
 * module from argv only), else concurrently (local executors have no round trip
 * to save), and returns a {@link SnapshotExec}: a HostExec that answers those probes from the
 * recorded results, exactly as the target would have (exit codes checked against
 * the caller's okCodes, a missing file rejected). Observers run unchanged on it.
 * A probe that was not predicted goes to the real target (counted in `misses`,
 * so a test can prove the prediction complete); writes are refused, so an
 * observation through a snapshot can never change the target.
 */
import { ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';

/** An executor that runs several argv in one round trip (SshExec). */
export interface BatchRunner {
  /**
   * Run each argv in turn (stdin closed), whatever the previous one's exit code, in
   * ONE round trip; one result per argv, in order, any exit code. Rejects only when
   * the batch itself cannot run (connection, timeout of the whole batch).
   */
  runBatch(commands: readonly (readonly string[])[], opts?: { timeoutMs?: number }): Promise<RunResult[]>;
}

/** Does `exec` batch? */
export function canBatch(exec: HostExec): exec is HostExec & BatchRunner {
  return typeof (exec as Partial<BatchRunner>).runBatch === 'function';
}

/** Every exit code (a probe's code is data; the caller's okCodes are applied on replay). */
const ANY_CODE: readonly number[] = Array.from({ length: 256 }, (_, i) => i);

/** One probe: a command (its argv, run with stdin closed) or a file read. */
export type Probe = { run: readonly string[] } | { read: string };

/** The argv a file read is recorded as (`cat` exits 1 on a missing file). */
function readArgv(path: string): string[] {
  return ['cat', '--', path];
}

const keyOf = (argv: readonly string[]): string => JSON.stringify(argv);

/** Parse the streams of a `batchScript` (src/host/shell-quote.ts) run into one result per command (pure). */
export function parseBatch(stdout: string, stderr: string, count: number, nonce: string): RunResult[] {
  const out: RunResult[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < count; i++) {
    const begin = `${nonce} ${i}\n`;
    const oStart = stdout.indexOf(begin, o);
    const rc = new RegExp(`\\n${nonce} ${i} rc (\\d+)\\n`, 'g');
    rc.lastIndex = oStart + begin.length;
    const m = oStart < 0 ? null : rc.exec(stdout);
    const eStart = stderr.indexOf(begin, e);
    const eEnd = eStart < 0 ? -1 : stderr.indexOf(`\n${nonce} ${i} end\n`, eStart + begin.length);
    if (!m || eEnd < 0) throw new Error(`batch output is missing the frame of command ${i} (of ${count})`);
    out.push({ stdout: stdout.slice(oStart + begin.length, m.index), stderr: stderr.slice(eStart + begin.length, eEnd), code: Number(m[1]) });
    o = rc.lastIndex;
    e = eEnd;
  }
  return out;
}

/** A HostExec answering predicted probes from one batch run; see the module comment. */
export class SnapshotExec implements HostExec {
  readonly target: string;
  /** Probes that were not in the batch and went to the real target. */
  readonly misses: string[] = [];

  constructor(private readonly real: HostExec, private readonly results: ReadonlyMap<string, RunResult>) {
    this.target = real.target;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = opts.stdin === undefined && !opts.env ? this.results.get(keyOf(argv)) : undefined;
    if (!r) {
      this.misses.push(keyOf(argv));
      return this.real.run(argv, opts);
    }
    if ((opts.okCodes ?? [0]).includes(r.code)) return r;
    throw new ExecError({ target: this.target, argv, secretArgs: opts.secretArgs, code: r.code, reason: `exit code ${r.code}`, stdout: r.stdout, stderr: r.stderr });
  }

  async readFile(path: string): Promise<Buffer> {
    const r = this.results.get(keyOf(readArgv(path)));
    if (!r) {
      this.misses.push(`read ${path}`);
      return this.real.readFile(path);
    }
    if (r.code === 0) return Buffer.from(r.stdout, 'utf8');
    throw new ExecError({ target: this.target, argv: ['read', path], code: r.code, reason: `cannot read ${path}`, stderr: r.stderr });
  }

  async writeFile(path: string, _content?: string | Buffer, _mode?: number): Promise<void> {
    throw new Error(`${this.target}: a read-only observation snapshot cannot write ${path}`);
  }
}

/** One probe on an executor that cannot batch, recorded like a batched one (a read as `cat` would report it). */
async function direct(exec: HostExec, p: Probe, timeoutMs: number): Promise<RunResult> {
  if ('read' in p) {
    return exec.readFile(p.read).then(
      (b) => ({ stdout: b.toString('utf8'), stderr: '', code: 0 }),
      (e: Error) => ({ stdout: '', stderr: e.message, code: 1 }),
    );
  }
  return exec.run(p.run, { okCodes: ANY_CODE, timeoutMs }).catch((e: ExecError) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.status ?? 127 }));
}

/**
 * Run every probe on `exec` in one round trip (one `runBatch`) and return the snapshot.
 * Duplicate probes run once. Text only: output is decoded as UTF-8 (configs, PEM,
 * command listings). Rejects (ExecError) only when the batch itself cannot run.
 */
export async function observeBatch(exec: HostExec, probes: readonly Probe[], opts: { timeoutMs?: number } = {}): Promise<SnapshotExec> {
  const byKey = new Map<string, Probe>();
  for (const p of probes) byKey.set(keyOf('run' in p ? p.run : readArgv(p.read)), p);
  const keys = [...byKey.keys()];
  const list = [...byKey.values()];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const results = new Map<string, RunResult>();
  const got = canBatch(exec)
    ? await exec.runBatch(list.map((p) => ('run' in p ? p.run : readArgv(p.read))), { timeoutMs })
    : await Promise.all(list.map((p) => direct(exec, p, timeoutMs)));
  got.forEach((res, i) => results.set(keys[i]!, res));
  return new SnapshotExec(exec, results);
}
