/**
 * The state lock: one exclusive lock on `<state dir>/lock`, held by every
 * mutating CLI command (init, plan, client changes, rotations, flows --apply)
 * and by every daemon job for as long as it runs, so the CLI and the daemon
 * never change the node at the same time (a rotation racing the health job's
 * repair, two first `init`s each registering a WARP device).
 *
 * Why flock(2), taken by util-linux `flock(1)` on an inherited descriptor:
 * - Node has no flock binding. The lock file is opened here and its descriptor
 *   handed to `flock -x <fd>` as fd 3. A flock lock belongs to the open file
 *   description, which both processes share: when `flock` exits after taking it,
 *   this process still holds it through its own descriptor.
 * - Crash-safe: the kernel drops the lock when the last descriptor closes, i.e.
 *   on release, on exit, and on `kill -9`. A stale lock cannot exist, unlike a
 *   pid or lock file that a killed process leaves behind.
 * - Correct across processes and inside one: every acquisition opens the file
 *   anew (its own open file description), so two holders in one process conflict
 *   like two processes do.
 * - The wait happens in the child (`-w`), so the daemon's event loop keeps
 *   serving /status while a job waits; SQLite locks (better-sqlite3 is
 *   synchronous) would block it.
 * The holder writes `{pid, command, since}` into the file so a waiter can say who
 * it waits for; stale contents of a dead holder are harmless (the lock is free).
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InputError, PreconditionError, StateError } from '../core/errors.js';

/** The lock file's name in the state dir. */
export const LOCK_FILE = 'lock';
/** How long a command or job waits for the lock by default (ms). */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** Who holds the lock, as the holder recorded it. */
export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

/** A held lock. `release()` is idempotent. */
export interface StateLock {
  readonly file: string;
  release(): void;
}

/** Options of {@link acquireStateLock}. */
export interface LockOptions {
  /** What the holder is doing (shown to waiters): `rotate warp`, `daemon job health`. */
  command: string;
  /** Bounded wait in ms (default {@link DEFAULT_LOCK_WAIT_MS}); 0 = do not wait. */
  waitMs?: number;
  /** Called once when the lock is busy and the wait starts. */
  onWait?: (holder: LockHolder | null) => void;
}

/** Conflict exit code given to flock(1) (distinct from its own errors). */
const BUSY = 75;

/** Run `flock -x` on `fd` (shared with this process); true when taken, false when busy after `waitMs`. */
function flockFd(fd: number, waitMs: number): Promise<boolean> {
  const wait = waitMs <= 0 ? ['-n'] : ['-w', (waitMs / 1000).toFixed(3)];
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', ...wait, '-E', String(BUSY), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => reject(new PreconditionError(`cannot run flock(1) to lock the state dir: ${e.message}`, 'install util-linux (it provides flock)', e)));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === BUSY) resolve(false);
      else reject(new StateError(`flock(1) failed on the state lock (exit ${code}): ${err.trim()}`, 'check the state dir and its lock file'));
    });
  });
}

/** The holder record in the lock file, or null (none written, or unreadable). */
export function readHolder(fd: number): LockHolder | null {
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  try {
    const h = JSON.parse(buf.subarray(0, n).toString('utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.command === 'string' ? { pid: h.pid, command: h.command, since: String(h.since ?? '?') } : null;
  } catch {
    return null;
  }
}

/** "another privroute is running (pid N, command C)" (exit 1). */
function busyError(h: LockHolder | null, waitMs: number, file: string): StateError {
  const who = h ? `pid ${h.pid}, command ${h.command}, since ${h.since}` : 'pid unknown, command unknown';
  return new StateError(
    `another privroute is running (${who}); gave up after waiting ${Math.round(waitMs / 100) / 10} s for the state lock ${file}`,
    `wait for it to finish and run this again (PRIVROUTE_LOCK_WAIT sets the wait in seconds)${h ? `; if pid ${h.pid} is stuck, stop it` : ''}`,
  );
}

/**
 * Take the state lock in `dir` (which must exist), waiting at most `waitMs`.
 * Rejects with a StateError (exit 1) naming the holder's pid and command when
 * it stays busy. Side effects: creates `dir/lock` (0600) and writes the holder
 * record into it while held.
 */
export async function acquireStateLock(dir: string, o: LockOptions): Promise<StateLock> {
  const file = path.join(dir, LOCK_FILE);
  const waitMs = o.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  // O_NOFOLLOW: never lock (or write the holder record into) a file a symlink points at.
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    if (!(await flockFd(fd, 0))) {
      o.onWait?.(readHolder(fd));
      if (waitMs <= 0 || !(await flockFd(fd, waitMs))) throw busyError(readHolder(fd), waitMs, file);
    }
    const rec = Buffer.from(JSON.stringify({ pid: process.pid, command: o.command, since: new Date().toISOString() }));
    ftruncateSync(fd, 0);
    writeSync(fd, rec, 0, rec.length, 0);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      try {
        ftruncateSync(fd, 0); // the next waiter must not name a finished holder
      } finally {
        closeSync(fd); // drops the flock (the last descriptor of this open file description)
      }
    },
  };
}

/** Run `fn` holding the state lock in `dir`; released whatever `fn` does. */
export async function withStateLock<T>(dir: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireStateLock(dir, o);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** The wait from `PRIVROUTE_LOCK_WAIT` (seconds, may be fractional), else the default. InputError (exit 2) on a bad value. */
export function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const raw = env.PRIVROUTE_LOCK_WAIT;
  if (raw === undefined || raw === '') return DEFAULT_LOCK_WAIT_MS;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new InputError({ path: 'PRIVROUTE_LOCK_WAIT', value: raw, expected: 'seconds to wait for the state lock (a number >= 0, e.g. 60), or unset for the default' });
  return Math.round(v * 1000);
}
