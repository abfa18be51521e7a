/**
 * LocalExec: runs argv on this machine with child_process.spawn (no shell), and
 * a prefix-wrapping variant used by the netns and pct executors.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_TIMEOUT_MS, ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';
import { traceExec } from './trace.js';

let spawnLimit = Infinity;
let running = 0;
const queued: (() => void)[] = [];

/**
 * Cap how many processes {@link spawnArgv} runs at once in this process (further
 * ones wait their turn, in order). `init`/`plan` observe every component at once
 * (issue 16); on a small, busy machine dozens of simultaneous reads only thrash
 * and starve a device's control socket past its timeout, while a few at a time
 * keep every core busy. Default: no cap. Side effect: process-wide setting.
 */
export function setSpawnConcurrency(n: number): void {
  spawnLimit = n >= 1 ? Math.floor(n) : Infinity;
  while (running < spawnLimit && queued.length) {
    running++;
    queued.shift()!();
  }
}

/** Run `fn` in a spawn slot (see {@link setSpawnConcurrency}). */
async function inSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= spawnLimit) await new Promise<void>((r) => queued.push(r));
  else running++;
  try {
    return await fn();
  } finally {
    // A finishing run hands its slot straight to the next waiter.
    const next = queued.shift();
    if (next) next();
    else running--;
  }
}

/**
 * Spawn `argv` directly (argv[0] looked up on PATH), feed stdin, collect output.
 * Rejects with ExecError on spawn failure, timeout, signal, or an exit code not in okCodes.
 * `target` only labels errors. Waits for a slot when {@link setSpawnConcurrency} capped them.
 */
export function spawnArgv(target: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return spawnLimit === Infinity && queued.length === 0 ? spawnNow(target, argv, opts) : inSlot(() => spawnNow(target, argv, opts));
}

function spawnNow(target: string, argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  const okCodes = opts.okCodes ?? [0];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (argv.length === 0) {
      reject(new ExecError({ target, argv, code: null, reason: 'empty argv' }));
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    const traced = traceExec(target, argv, opts.secretArgs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A child that exits before reading stdin gives EPIPE; the exit code tells the story.
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ExecError({ target, argv, secretArgs: opts.secretArgs, code: null, reason: e.message, cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      traced(code);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== null && okCodes.includes(code)) {
        resolve({ stdout, stderr, code });
        return;
      }
      const reason = timedOut
        ? `timed out after ${timeoutMs} ms`
        : signal
          ? `killed by ${signal}`
          : `exit code ${code}`;
      reject(new ExecError({ target, argv, secretArgs: opts.secretArgs, code, reason, stdout, stderr }));
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/**
 * Write a file atomically with `mode`, on the local filesystem: a 0600-from-birth
 * temp file next to `file`, fsynced, renamed over it. On any failure the temp
 * file is removed and `file` is unchanged.
 */
export async function writeFileAtomic(file: string, content: string | Buffer, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // Create with the final mode first so the content is never readable by others, even briefly.
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await fh.chmod(mode); // umask may have narrowed/widened the create mode
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    // A failed write, fsync, close or rename: the half-written temp file (it may hold a key) goes too.
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Runs commands on the local host. */
export class LocalExec implements HostExec {
  readonly target = 'local';
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return spawnArgv(this.target, argv, opts);
  }
  writeFile(file: string, content: string | Buffer, mode: number): Promise<void> {
    return writeFileAtomic(file, content, mode);
  }
  readFile(file: string): Promise<Buffer> {
    return fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new ExecError({ target: this.target, argv: ['read', file], code: null, reason: e.message, cause: e });
    });
  }
}
