import test from 'ava';
import { pollUntil } from '../../../src/core/poll.js';

const noSleep = async () => {};

test('resolves on the first true probe; a throwing probe counts as not yet', async (t) => {
  let n = 0;
  await pollUntil(() => {
    n++;
    if (n === 1) throw new Error('not up');
    return n === 3;
  }, { timeoutMs: 60_000, sleep: noSleep, onTimeout: () => new Error('timeout') });
  t.is(n, 3);
});

test('on timeout: onTimeout gets the last probe error', async (t) => {
  const err = await t.throwsAsync(pollUntil(() => { throw new Error('ENOENT sock'); }, { timeoutMs: -1, sleep: noSleep, onTimeout: (e) => new Error(`gave up: ${(e as Error).message}`) }));
  t.is(err!.message, 'gave up: ENOENT sock');
});

test('failFast: a probe error ends the poll as itself', async (t) => {
  let n = 0;
  const err = await t.throwsAsync(pollUntil(() => { n++; throw new Error('ssh down'); }, { timeoutMs: 60_000, sleep: noSleep, failFast: true, onTimeout: () => new Error('timeout') }));
  t.is(err!.message, 'ssh down');
  t.is(n, 1);
});
