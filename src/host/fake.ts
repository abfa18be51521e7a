/**
 * FakeHostExec: a HostExec for unit tests that models the target's *state*
 * (a file map with modes, plus a typed state bag the test owns) instead of
 * replaying a script of calls (the Tailscale `wgengine/router` fake style).
 *
 * A test declares which argv shapes may run (`on(pattern, handler)`); the handler
 * mutates the state and returns the output. Any run that matches no expectation
 * throws {@link UnexpectedCallError} listing the argv and the expectations left,
 * and is remembered so {@link FakeHostExec.assertDone} fails even if the code
 * under test swallowed the error. Every call is recorded in `calls`.
 */
import { ExecError, maskArgv, type HostExec, type RunOptions, type RunResult } from './exec.js';

/** Matches any number (zero or more) of remaining argv elements. Only valid last. */
export const REST: unique symbol = Symbol('REST');

/** One argv element matcher: exact string, a RegExp (full match not implied), or REST. */
export type ArgPattern = string | RegExp | typeof REST;

/** A file on the fake target. */
export interface FakeFile {
  content: Buffer;
  mode: number;
}

/** What a handler sees. `captures` holds the elements matched by RegExp/REST patterns, in order. */
export interface CallContext<S> {
  argv: readonly string[];
  stdin: Buffer | undefined;
  env: Readonly<Record<string, string>>;
  state: S;
  fake: FakeHostExec<S>;
  captures: string[];
}

/** A handler returns stdout (string), a partial result (code defaults to 0), or nothing (empty success). */
export type Handler<S> = (
  ctx: CallContext<S>,
) => string | Partial<RunResult> | void | Promise<string | Partial<RunResult> | void>;

/** A recorded call. */
export type FakeCall =
  | { kind: 'run'; argv: string[]; stdin?: string; env?: Record<string, string> }
  | { kind: 'writeFile'; path: string; mode: number }
  | { kind: 'readFile'; path: string };

interface Expectation<S> {
  label: string;
  pattern: readonly ArgPattern[];
  handler: Handler<S>;
  /** Allowed uses; 'any' = unlimited and not required. */
  times: number | 'any';
  used: number;
}

/** Thrown on a call no expectation allows. Deliberately not an ExecError, so product code does not treat it as a normal failure. */
export class UnexpectedCallError extends Error {
  constructor(readonly target: string, readonly argv: readonly string[], left: readonly string[]) {
    super(
      `FakeHostExec(${target}): unexpected run(${JSON.stringify(argv)})\n` +
        (left.length ? `expectations left:\n${left.map((l) => '  - ' + l).join('\n')}` : 'no expectations left'),
    );
    this.name = 'UnexpectedCallError';
  }
}

function describe(p: readonly ArgPattern[]): string {
  return p.map((x) => (x === REST ? '...' : x instanceof RegExp ? x.toString() : JSON.stringify(x))).join(' ');
}

/** Match argv against a pattern; returns the captures or null. */
export function matchArgv(pattern: readonly ArgPattern[], argv: readonly string[]): string[] | null {
  const captures: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === REST) {
      if (i !== pattern.length - 1) throw new Error('REST must be the last pattern element');
      captures.push(...argv.slice(i));
      return captures;
    }
    if (i >= argv.length) return null;
    const a = argv[i]!;
    if (typeof p === 'string') {
      if (p !== a) return null;
    } else {
      const m = new RegExp(`^(?:${p.source})$`, p.flags).exec(a);
      if (!m) return null;
      captures.push(a);
    }
  }
  return pattern.length === argv.length ? captures : null;
}

/** A stateful fake target. `S` is the test's own model of the OS state (interfaces, services...). */
export class FakeHostExec<S = Record<string, unknown>> implements HostExec {
  readonly target: string;
  readonly state: S;
  readonly files = new Map<string, FakeFile>();
  readonly calls: FakeCall[] = [];
  /** Unexpected runs seen so far (kept even if the caller caught the error). */
  readonly unexpected: string[][] = [];
  private readonly expectations: Expectation<S>[] = [];

  constructor(opts: { target?: string; state?: S; files?: Record<string, string | Buffer | FakeFile> } = {}) {
    this.target = opts.target ?? 'fake';
    this.state = opts.state ?? ({} as S);
    for (const [p, f] of Object.entries(opts.files ?? {})) {
      this.files.set(p, typeof f === 'string' || Buffer.isBuffer(f) ? { content: Buffer.from(f), mode: 0o644 } : f);
    }
  }

  /**
   * Allow runs matching `pattern`. `times` (default 1) is both the limit and the
   * requirement checked by assertDone; 'any' means unlimited and optional.
   * Earlier expectations win. Returns this for chaining.
   */
  on(pattern: readonly ArgPattern[], handler: Handler<S> = () => undefined, opts: { times?: number | 'any'; label?: string } = {}): this {
    this.expectations.push({ label: opts.label ?? describe(pattern), pattern, handler, times: opts.times ?? 1, used: 0 });
    return this;
  }

  /** Model `cat`, `mv -f`, `rm -f`, `mkdir -p`, `test -e` over the file map (unlimited, optional). */
  withFileCommands(): this {
    const missing = (p: string) => ({ code: 1, stderr: `${p}: No such file or directory\n` });
    return this.on(['cat', /.+/], ({ captures: [p], fake }) => {
      const f = fake.files.get(p!);
      return f ? f.content.toString('utf8') : missing(p!);
    }, { times: 'any' })
      .on(['mv', '-f', /.+/, /.+/], ({ captures: [a, b], fake }) => {
        const f = fake.files.get(a!);
        if (!f) return missing(a!);
        fake.files.delete(a!);
        fake.files.set(b!, f);
      }, { times: 'any' })
      .on(['rm', '-f', REST], ({ captures, fake }) => void captures.forEach((p) => fake.files.delete(p)), { times: 'any' })
      .on(['mkdir', '-p', REST], () => undefined, { times: 'any' })
      .on(['test', '-e', /.+/], ({ captures: [p], fake }) => ({ code: fake.files.has(p!) ? 0 : 1 }), { times: 'any' });
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
    this.calls.push({
      kind: 'run',
      argv: maskArgv(argv, opts.secretArgs),
      ...(stdin ? { stdin: stdin.toString('utf8') } : {}),
      ...(opts.env ? { env: { ...opts.env } } : {}),
    });
    for (const e of this.expectations) {
      if (e.times !== 'any' && e.used >= e.times) continue;
      const captures = matchArgv(e.pattern, argv);
      if (!captures) continue;
      e.used++;
      const out = await e.handler({ argv, stdin, env: opts.env ?? {}, state: this.state, fake: this, captures });
      const res: RunResult = typeof out === 'string'
        ? { stdout: out, stderr: '', code: 0 }
        : { stdout: out?.stdout ?? '', stderr: out?.stderr ?? '', code: out?.code ?? 0 };
      if (!(opts.okCodes ?? [0]).includes(res.code)) {
        throw new ExecError({ target: this.target, argv, secretArgs: opts.secretArgs, code: res.code, reason: `exit code ${res.code}`, stdout: res.stdout, stderr: res.stderr });
      }
      return res;
    }
    this.unexpected.push(maskArgv(argv, opts.secretArgs));
    throw new UnexpectedCallError(this.target, maskArgv(argv, opts.secretArgs), this.left());
  }

  /** Stores the file with its mode (the model of an atomic write). */
  async writeFile(path: string, content: string | Buffer, mode: number): Promise<void> {
    this.calls.push({ kind: 'writeFile', path, mode });
    this.files.set(path, { content: Buffer.from(content), mode });
  }

  /** Returns the file, or rejects with ExecError like a real target when missing. */
  async readFile(path: string): Promise<Buffer> {
    this.calls.push({ kind: 'readFile', path });
    const f = this.files.get(path);
    if (!f) throw new ExecError({ target: this.target, argv: ['read', path], code: null, reason: `ENOENT: no such file or directory, open '${path}'` });
    return Buffer.from(f.content);
  }

  /** The run argv recorded so far (secrets masked). */
  runs(): string[][] {
    return this.calls.flatMap((c) => (c.kind === 'run' ? [c.argv] : []));
  }

  /** Expectations still allowed to run, with their use counts. */
  left(): string[] {
    return this.expectations
      .filter((e) => e.times === 'any' || e.used < e.times)
      .map((e) => `${e.label} (used ${e.used}/${e.times})`);
  }

  /** Throw if any unexpected run happened or a counted expectation was not used up. */
  assertDone(): void {
    const unmet = this.expectations.filter((e) => e.times !== 'any' && e.used < e.times);
    if (this.unexpected.length === 0 && unmet.length === 0) return;
    const lines = [
      ...this.unexpected.map((a) => `unexpected run(${JSON.stringify(a)})`),
      ...unmet.map((e) => `expected but not run: ${e.label} (used ${e.used}/${e.times})`),
    ];
    throw new Error(`FakeHostExec(${this.target}):\n  ${lines.join('\n  ')}`);
  }
}
