/**
 * Start and stop lab processes by PID. Each process runs in its own process
 * group (so its children go with it), optionally inside a network namespace,
 * with output in a log file, and a pid file (pid + start time) in the scope dir
 * so a stale sweep can kill it safely after a crash without hitting a reused PID.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Scope } from './scope.js';
import { pollUntil } from '../../core/poll.js';

/** A running lab process. */
export interface Proc {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /**
   * Resolves with the exit code (null if killed by a signal). The child is unref'd
   * (a lab may outlive the CLI that started it), so this promise alone does not
   * keep the event loop alive: with nothing else pending, awaiting it can hang
   * (ava: "Promise returned by test never resolved"). To wait for an exit, use
   * {@link waitGone}, which polls.
   */
  readonly exited: Promise<number | null>;
  /** SIGTERM the group, SIGKILL after 3 s; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
  /** The log so far. */
  log(): string;
}

export interface StartOptions {
  name: string;
  argv: string[];
  /** Network namespace to run in (via `ip netns exec`, which execs: the pid is the program's). */
  ns?: string;
  env?: Record<string, string>;
  /** File fed to stdin (e.g. a 0600 secret file); default /dev/null. */
  stdinFile?: string;
}

/** The fields of /proc/PID/stat after `comm` ([0] state, [1] ppid, [19] start time), or null if there is no such pid. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces/parens: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Process start time in clock ticks (field 22 of /proc/PID/stat), or null if gone. */
export function procStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/**
 * True when `pid` no longer runs: absent, or a zombie awaiting its reaper (an
 * unref'd child, or PID 1 in a container that does not always reap). Reads /proc only.
 */
export function procGone(pid: number | string): boolean {
  const f = statFields(pid);
  return f === null || f[0] === 'Z';
}

/**
 * Resolve once `pid` is gone ({@link procGone}); throws `timed out ... waiting for
 * <what> to exit` after `timeoutMs`. Polls /proc, so it keeps the event loop alive
 * (unlike awaiting an unref'd child's exit event). Reads only.
 */
export function waitGone(pid: number | string, what: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(`${what} (pid ${pid}) to exit`, () => procGone(pid), timeoutMs);
}

/** Start a process registered with `scope` (stopped at scope close). */
export async function startProcess(scope: Scope, o: StartOptions): Promise<Proc> {
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new Error(`invalid process name ${JSON.stringify(o.name)}`);
  const logFile = path.join(scope.dir, `${o.name}.log`);
  const pidFile = path.join(scope.dir, 'pids', `${o.name}.pid`);
  const argv = o.ns ? ['ip', 'netns', 'exec', o.ns, ...o.argv] : o.argv;
  const out = openSync(logFile, 'a', 0o600);
  const inFd = openSync(o.stdinFile ?? '/dev/null', 'r');
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true, // own process group
    stdio: [inFd, out, out],
    env: o.env ? { ...process.env, ...o.env } : process.env,
  });
  closeSync(out);
  closeSync(inFd);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new Error(`starting ${o.name} (${argv.join(' ')}): ${e.message}`)));
  });
  const pid = child.pid!;
  child.unref();
  writeFileSync(pidFile, `${pid} ${procStartTime(pid) ?? ''}\n`);
  let stopping: Promise<void> | undefined;
  const proc: Proc = {
    pid,
    name: o.name,
    logFile,
    exited,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: () => {
      stopping ??= (async () => {
        killGroup(pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
        if (!done) {
          killGroup(pid, 'SIGKILL');
          await Promise.race([exited, sleep(2000)]);
        }
        rmSync(pidFile, { force: true });
      })();
      return stopping;
    },
  };
  scope.defer(`process ${o.name} (${pid})`, () => proc.stop());
  return proc;
}

/** Signal a process group, falling back to the single pid; ignores ESRCH. */
export function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `fn` until it returns true; throws `timed out waiting for <what>` after timeoutMs. */
export function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  return pollUntil(fn, { timeoutMs, onTimeout: (last) => new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`) });
}

/** PIDs whose argv (from /proc/PID/cmdline) satisfies `pred`; this process excluded. */
export function pidsWhere(pred: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length && pred(argv)) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Matches wireguard-go serving exactly interface `iface` (with or without -f): exact, never a pattern. */
export function isWireguardGoFor(iface: string): (argv: string[]) => boolean {
  return (argv) => /(^|\/)wireguard-go$/.test(argv[0] ?? '') && argv.at(-1) === iface;
}
