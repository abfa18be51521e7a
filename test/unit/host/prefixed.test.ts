import test from 'ava';
import { PrefixedExec, envPrefix } from '../../../src/host/prefixed.js';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { ExecError } from '../../../src/host/exec.js';

test('envPrefix renders env K=V and refuses names env would misparse', (t) => {
  t.deepEqual(envPrefix(undefined), []);
  t.deepEqual(envPrefix({}), []);
  t.deepEqual(envPrefix({ A: '1', B_2: 'x y' }), ['env', 'A=1', 'B_2=x y']);
  t.throws(() => envPrefix({ 'A=B': '1' }), { message: /"A=B"/ });
  t.throws(() => envPrefix({ '-i': '1' }));
  t.throws(() => envPrefix({ '': '1' }));
});

test('PrefixedExec masks secrets at their shifted position and relabels errors', async (t) => {
  const inner = new FakeHostExec({ target: 'local' }).on(['ip', 'netns', 'exec', 'n1', REST], () => ({ code: 4, stderr: 'e' }));
  const ex = new PrefixedExec(inner, ['ip', 'netns', 'exec', 'n1'], 'netns:n1');
  const e = await t.throwsAsync(ex.run(['wg', 'set', 'KEY'], { secretArgs: [2], env: { X: '1' } }), { instanceOf: ExecError });
  t.deepEqual(inner.runs()[0], ['ip', 'netns', 'exec', 'n1', 'env', 'X=1', 'wg', 'set', '<redacted>']);
  t.is(e!.target, 'netns:n1');
  t.deepEqual(e!.argv, ['wg', 'set', '<redacted>']);
  t.is(e!.status, 4);
  t.true(e!.message.startsWith(`running "wg set \"<redacted>\"" on netns:n1 failed: exit code 4`), e!.message);
});

test('PrefixedExec files go to the inner executor', async (t) => {
  const inner = new FakeHostExec();
  const ex = new PrefixedExec(inner, ['x'], 'y');
  await ex.writeFile('/a', 'b', 0o600);
  t.is(inner.files.get('/a')!.mode, 0o600);
  t.is((await ex.readFile('/a')).toString(), 'b');
});
