import test from 'ava';
import { FakeHostExec, REST, UnexpectedCallError, matchArgv } from '../../../src/host/fake.js';
import { ExecError } from '../../../src/host/exec.js';

test('matchArgv: strings, regexps (full match), REST', (t) => {
  t.deepEqual(matchArgv(['ip', 'link'], ['ip', 'link']), []);
  t.is(matchArgv(['ip', 'link'], ['ip', 'link', 'show']), null);
  t.deepEqual(matchArgv(['ip', /\d+/], ['ip', '42']), ['42']);
  t.is(matchArgv(['ip', /\d+/], ['ip', '42x']), null); // anchored
  t.deepEqual(matchArgv(['ip', REST], ['ip']), []);
  t.deepEqual(matchArgv(['ip', REST], ['ip', 'a', 'b']), ['a', 'b']);
});

test('handlers mutate modelled state and return output', async (t) => {
  const fake = new FakeHostExec<{ links: string[] }>({ state: { links: ['lo'] } });
  fake
    .on(['ip', 'link', 'add', /\w+/, 'type', 'dummy'], ({ captures: [n], state }) => void state.links.push(n!), { times: 'any' })
    .on(['ip', '-o', 'link'], ({ state }) => state.links.join('\n'), { times: 'any' });
  await fake.run(['ip', 'link', 'add', 'd0', 'type', 'dummy']);
  t.is((await fake.run(['ip', '-o', 'link'])).stdout, 'lo\nd0');
  t.deepEqual(fake.runs()[0], ['ip', 'link', 'add', 'd0', 'type', 'dummy']);
  t.notThrows(() => fake.assertDone());
});

test('an unexpected call throws, lists the argv and what is left, and fails assertDone', async (t) => {
  const fake = new FakeHostExec({ target: 'node' }).on(['true'], undefined, { times: 2 });
  await fake.run(['true']);
  const e = await t.throwsAsync(fake.run(['rm', '-rf', '/']), { instanceOf: UnexpectedCallError });
  t.regex(e!.message, /unexpected run\(\["rm","-rf","\/"\]\)/);
  t.regex(e!.message, /"true" \(used 1\/2\)/);
  await fake.run(['true']);
  const done = t.throws(() => fake.assertDone());
  t.regex(done!.message, /rm/);
});

test('a counted expectation is exhausted, then the call is unexpected', async (t) => {
  const fake = new FakeHostExec().on(['x']);
  await fake.run(['x']);
  await t.throwsAsync(fake.run(['x']), { instanceOf: UnexpectedCallError });
});

test('assertDone reports expectations that never ran', (t) => {
  const fake = new FakeHostExec().on(['needed']);
  t.throws(() => fake.assertDone(), { message: /expected but not run: "needed"/ });
});

test('non-ok exit codes become ExecError with target, code, stderr, masked argv', async (t) => {
  const fake = new FakeHostExec({ target: 'fake:1' }).on(['wg', 'set', REST], () => ({ code: 3, stderr: 'boom' }));
  const e = await t.throwsAsync(fake.run(['wg', 'set', 'SECRET'], { secretArgs: [2] }), { instanceOf: ExecError });
  t.is(e!.status, 3);
  t.is(e!.stderr, 'boom');
  t.is(e!.target, 'fake:1');
  t.false(e!.message.includes('SECRET'));
  t.deepEqual(fake.runs()[0], ['wg', 'set', '<redacted>']);
  const ok = new FakeHostExec().on(['grep'], () => ({ code: 1 }));
  t.is((await ok.run(['grep'], { okCodes: [0, 1] })).code, 1);
});

test('files: writeFile keeps mode, readFile of a missing file is an ExecError, file commands model the map', async (t) => {
  const fake = new FakeHostExec().withFileCommands();
  await fake.writeFile('/etc/a', 'secret', 0o600);
  t.is(fake.files.get('/etc/a')!.mode, 0o600);
  t.is((await fake.readFile('/etc/a')).toString(), 'secret');
  await fake.run(['mv', '-f', '/etc/a', '/etc/b']);
  t.false(fake.files.has('/etc/a'));
  t.is((await fake.run(['cat', '/etc/b'])).stdout, 'secret');
  await fake.run(['rm', '-f', '/etc/b']);
  await t.throwsAsync(fake.readFile('/etc/b'), { instanceOf: ExecError });
  await t.throwsAsync(fake.run(['cat', '/etc/b']), { instanceOf: ExecError });
});

test('stdin is passed to the handler and recorded', async (t) => {
  const fake = new FakeHostExec().on(['wg', 'set'], ({ stdin }) => stdin!.toString().toUpperCase());
  t.is((await fake.run(['wg', 'set'], { stdin: 'abc' })).stdout, 'ABC');
  t.deepEqual(fake.calls[0], { kind: 'run', argv: ['wg', 'set'], stdin: 'abc' });
});
