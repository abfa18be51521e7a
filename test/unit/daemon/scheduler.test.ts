/**
 * The scheduler with injected job functions: runs are serialized across jobs,
 * a failing job is recorded and the scheduler keeps serving, a job cannot queue
 * twice, cron expressions are validated, and a real cron tick fires the job.
 */
import test from 'ava';
import { Scheduler, validateSchedules } from '../../../src/daemon/scheduler.js';
import { Mutex } from '../../../src/daemon/mutex.js';
import { InputError } from '../../../src/core/errors.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('jobs never run at the same time: b waits for a', async (t) => {
  const gate = deferred();
  const log: string[] = [];
  let active = 0;
  let maxActive = 0;
  const body = (name: string, wait?: Promise<void>) => async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    log.push(`${name}:start`);
    if (wait) await wait;
    log.push(`${name}:end`);
    active--;
    return name;
  };
  const s = new Scheduler([
    { name: 'a', cron: '0 0 1 1 *', run: body('a', gate.promise) },
    { name: 'b', cron: '0 0 1 1 *', run: body('b') },
  ]);
  const ra = s.trigger('a');
  const rb = s.trigger('b');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(log, ['a:start'], 'b must not start while a runs');
  t.true(s.job('a')!.running);
  gate.resolve();
  const [a, b] = await Promise.all([ra, rb]);
  t.deepEqual(log, ['a:start', 'a:end', 'b:start', 'b:end']);
  t.is(maxActive, 1);
  t.like(a, { runs: 1, failures: 0, lastOutcome: 'ok', lastResult: 'a' });
  t.like(b, { runs: 1, failures: 0, lastOutcome: 'ok', lastResult: 'b' });
});

test('a failing job is recorded; the scheduler keeps running the next ones', async (t) => {
  const seen: [string, boolean][] = [];
  let n = 0;
  const s = new Scheduler(
    [
      { name: 'bad', cron: '*/5 * * * *', run: async () => { throw new Error('boom: device unreachable'); } },
      { name: 'good', cron: '*/5 * * * *', run: async () => ++n },
    ],
    { onRun: (r, ok) => seen.push([r.name, ok]) },
  );
  const bad = await s.trigger('bad');
  t.like(bad, { runs: 1, failures: 1, lastOutcome: 'failed', lastError: 'boom: device unreachable', lastSuccess: null });
  const good = await s.trigger('good');
  t.like(good, { runs: 1, failures: 0, lastOutcome: 'ok', lastResult: 1 });
  const bad2 = await s.trigger('bad');
  t.is(bad2.failures, 2);
  t.deepEqual(seen, [['bad', false], ['good', true], ['bad', false]]);
  await s.stop();
});

test('a job already running or waiting is not queued twice (skipped)', async (t) => {
  const gate = deferred();
  let runs = 0;
  const s = new Scheduler([{ name: 'slow', cron: '* * * * *', run: async () => { runs++; await gate.promise; } }]);
  const first = s.trigger('slow');
  const second = await s.trigger('slow');
  t.is(second.skipped, 1);
  gate.resolve();
  await first;
  t.is(runs, 1);
  t.is(s.job('slow')!.runs, 1);
});

test('invalid cron expressions are refused with the key path', (t) => {
  const e = t.throws(() => new Scheduler([{ name: 'health', cron: '61 * * * *', run: async () => 0 }, { name: 'rotate_warp', cron: 'every day', run: async () => 0 }]), { instanceOf: InputError });
  t.regex(e!.message, /daemon\.schedules\.health/);
  t.regex(e!.message, /daemon\.schedules\.rotate_warp/);
  t.notThrows(() => validateSchedules([{ name: 'health', cron: '*/1 * * * *' }, { name: 'x', cron: '*/2 * * * * *' }]));
});

test('a real cron tick runs the job; stop() ends the schedule', async (t) => {
  let runs = 0;
  let tick!: () => void;
  const fired = new Promise<void>((r) => (tick = r));
  const s = new Scheduler([{ name: 'tick', cron: '* * * * * *', run: async () => { runs++; tick(); } }]);
  s.start();
  await fired;
  await s.stop();
  const after = runs;
  t.true(after >= 1);
  t.is(s.job('tick')!.runs, after);
  // Stopped: a trigger is dropped, not run.
  const r = await s.trigger('tick');
  t.is(r.runs, after);
  t.true(r.skipped >= 1);
});

test('mutex: a rejected holder releases the lock', async (t) => {
  const m = new Mutex();
  await t.throwsAsync(m.run(async () => { throw new Error('x'); }));
  t.is(await m.run(async () => 7), 7);
  t.false(m.locked);
});
