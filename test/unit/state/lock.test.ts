/**
 * The state lock (issue 11 item 3): exclusive across processes and inside one,
 * a bounded wait that names the holder, and released by the kernel when the
 * holder is killed (kill -9 leaves no stale lock).
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPrivrouteError } from '../../../src/core/errors.js';
import { acquireStateLock, lockWaitMs, withStateLock } from '../../../src/state/lock.js';

const HOLDER = fileURLToPath(new URL('./_lock-holder.ts', import.meta.url));
const base = mkdtempSync(path.join(tmpdir(), 'prlock-'));
test.after.always(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const freshDir = () => mkdtempSync(path.join(base, `d${n++}-`));

/** A separate process holding the lock in `dir` as `command`; resolves once it holds it. */
async function holder(dir: string, command: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, command], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('held') && resolve());
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return child;
}

test('a lock held by another process: bounded wait, then exit 1 naming its pid and command; kill -9 frees it', async (t) => {
  const dir = freshDir();
  const h = await holder(dir, 'rotate warp');
  try {
    let waitedFor: unknown = null;
    const e = await t.throwsAsync(acquireStateLock(dir, { command: 'init', waitMs: 300, onWait: (x) => (waitedFor = x) }));
    t.true(isPrivrouteError(e));
    t.is((e as { exitCode?: number }).exitCode, 1);
    t.regex(e!.message, new RegExp(`another privroute is running \\(pid ${h.pid}, command rotate warp, since `));
    t.like(waitedFor, { pid: h.pid, command: 'rotate warp' });
    t.is(statSync(path.join(dir, 'lock')).mode & 0o777, 0o600);
  } finally {
    h.kill('SIGKILL');
  }
  await new Promise((r) => h.once('exit', r));
  // The kernel dropped the killed holder's lock: no stale lock, no wait.
  const l = await acquireStateLock(dir, { command: 'init', waitMs: 0 });
  l.release();
  t.pass();
});

test('two holders in one process: the second waits for the first, then runs', async (t) => {
  const dir = freshDir();
  const order: string[] = [];
  let releaseFirst!: () => void;
  const gate = new Promise<void>((r) => (releaseFirst = r));
  const first = withStateLock(dir, { command: 'daemon job health' }, async () => {
    order.push('first start');
    await gate;
    order.push('first end');
  });
  while (order.length === 0) await new Promise((r) => setImmediate(r));
  const second = withStateLock(dir, { command: 'rotate warp', waitMs: 30_000 }, async () => void order.push('second'));
  // Give the second every chance to (wrongly) run while the first holds the lock.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(order, ['first start']);
  releaseFirst();
  await Promise.all([first, second]);
  t.deepEqual(order, ['first start', 'first end', 'second']);
});

test('a throwing holder releases the lock', async (t) => {
  const dir = freshDir();
  await t.throwsAsync(withStateLock(dir, { command: 'x' }, async () => { throw new Error('boom'); }), { message: 'boom' });
  (await acquireStateLock(dir, { command: 'y', waitMs: 0 })).release();
  t.pass();
});

test('PRIVROUTE_LOCK_WAIT: seconds; a bad value is bad input (exit 2)', (t) => {
  t.is(lockWaitMs({}), 60_000);
  t.is(lockWaitMs({ PRIVROUTE_LOCK_WAIT: '0.5' }), 500);
  const e = t.throws(() => lockWaitMs({ PRIVROUTE_LOCK_WAIT: 'soon' }));
  t.is((e as { exitCode?: number }).exitCode, 2);
});
