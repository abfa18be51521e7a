import test from 'ava';
import { spawnSync } from 'node:child_process';
import { ExecError, type HostExec } from '../../../src/host/exec.js';
import { observeBatch, parseBatch } from '../../../src/host/batch.js';
import { batchScript } from '../../../src/host/shell-quote.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import { batching } from '../../helpers/batch-fake.js';
import { HOSTILE } from './hostile-strings.js';

const NONCE = '0123456789abcdef';

/** The script run by a real POSIX sh, as the remote login shell runs it. */
function shRun(commands: string[][]) {
  const r = spawnSync('sh', ['-c', batchScript(commands, NONCE)], { encoding: 'utf8' });
  return parseBatch(r.stdout, r.stderr, commands.length, NONCE);
}

test('batchScript + parseBatch with a real sh: each command stdout, stderr and exit code, in order', (t) => {
  const got = shRun([
    ['printf', '%s', 'no newline'],
    ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    ['printf', '%s\n', ...HOSTILE],
    ['cat', '--', '/nonexistent/privroute-batch'],
    ['printf', `${NONCE} 9\n`],
    ['true'],
  ]);
  t.deepEqual(got[0], { stdout: 'no newline', stderr: '', code: 0 });
  t.deepEqual(got[1], { stdout: 'out\n', stderr: 'err\n', code: 3 });
  t.is(got[2]!.stdout, HOSTILE.map((h) => h + '\n').join(''), 'hostile argv arrive unchanged');
  t.is(got[3]!.code, 1);
  t.regex(got[3]!.stderr, /nonexistent/);
  t.is(got[4]!.stdout, `${NONCE} 9\n`, 'output that looks like a marker of another index is content');
  t.deepEqual(got[5], { stdout: '', stderr: '', code: 0 });
});

test('a truncated batch output is an error, not a silent empty result', (t) => {
  t.throws(() => parseBatch(`${NONCE} 0\nabc`, `${NONCE} 0\n\n${NONCE} 0 end\n`, 1, NONCE), { message: /command 0/ });
  t.throws(() => batchScript([['true']], 'not hex'), { message: /hex/ });
});

function fake() {
  const f = new FakeHostExec<Record<string, never>>({ target: 'fake', state: {}, files: { '/etc/x': 'x-content\n' } });
  f.on(['probe', 'a'], () => ({ stdout: 'A\n', code: 2 }), { times: 'any' });
  f.on(['other'], () => 'O\n', { times: 'any' });
  return f;
}

test('the snapshot replays like the target: okCodes judged on replay, missing file rejected, misses go to the target, writes refused', async (t) => {
  const f = fake();
  const link = batching(f);
  const snap = await observeBatch(link, [{ run: ['probe', 'a'] }, { read: '/etc/x' }, { read: '/etc/missing' }, { run: ['probe', 'a'] }]);
  t.is(link.batches, 1);
  t.deepEqual(await snap.run(['probe', 'a'], { okCodes: [0, 2] }), { stdout: 'A\n', stderr: '', code: 2 });
  await t.throwsAsync(snap.run(['probe', 'a']), { instanceOf: ExecError, message: /exit code 2/ });
  t.is((await snap.readFile('/etc/x')).toString(), 'x-content\n');
  await t.throwsAsync(snap.readFile('/etc/missing'), { instanceOf: ExecError });
  t.is(link.direct, 0);
  t.is((await snap.run(['other'])).stdout, 'O\n');
  t.deepEqual(snap.misses, ['["other"]']);
  t.is(link.direct, 1, 'an unpredicted probe costs one more round trip, and is still answered');
  await t.throwsAsync(snap.writeFile('/etc/x', 'y', 0o600), { message: /read-only/ });
  t.is(f.files.get('/etc/x')!.content.toString(), 'x-content\n');
});

test('an executor that cannot batch gets the probes concurrently, any exit code recorded', async (t) => {
  const f = fake();
  let inFlight = 0;
  let peak = 0;
  const slow: HostExec = {
    target: 'slow',
    run: async (argv, o) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return f.run(argv, o);
    },
    readFile: (p) => f.readFile(p),
    writeFile: (p, c, m) => f.writeFile(p, c, m),
  };
  const snap = await observeBatch(slow, [{ run: ['probe', 'a'] }, { run: ['other'] }, { read: '/etc/x' }]);
  t.is(peak, 2, 'both commands in flight at once (the read goes through readFile)');
  t.is((await snap.run(['probe', 'a'], { okCodes: [2] })).code, 2);
  t.deepEqual(snap.misses, []);
});
