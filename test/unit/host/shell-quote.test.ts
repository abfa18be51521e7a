import test from 'ava';
import { quoteArgv } from '../../../src/host/shell-quote.js';
import { spawnArgv } from '../../../src/host/local.js';
import { InputError } from '../../../src/core/errors.js';
import { HOSTILE } from './hostile-strings.js';


test('quotes every element in single quotes and escapes embedded quotes', (t) => {
  t.is(quoteArgv(['echo', 'hello']), `'echo' 'hello'`);
  t.is(quoteArgv(["it's"]), `'it'\\''s'`);
  t.is(quoteArgv(['']), `''`);
  t.is(quoteArgv(['$(id)', '`id`', 'a;b']), `'$(id)' '\`id\`' 'a;b'`);
  t.is(quoteArgv(['a\nb']), `'a\nb'`);
});

test('the quoted line contains no unquoted shell metacharacter', (t) => {
  // Tokenised left to right, the line is only: quoted sections, \' escapes, and spaces.
  t.regex(quoteArgv(HOSTILE), /^(?:'[^']*'|\\'| )+$/);
  t.is(quoteArgv(['a b']), `'a b'`); // one element stays one word
});

test('rejects NUL bytes with an InputError naming the element', (t) => {
  const e = t.throws(() => quoteArgv(['ok', 'bad\0arg']), { instanceOf: InputError });
  t.regex(e!.message, /argv\[1\]/);
  t.is((e as InputError).exitCode, 2);
});

test('rejects an empty argv', (t) => {
  t.throws(() => quoteArgv([]), { instanceOf: InputError });
});

// The quoting targets real POSIX shells, so it is checked against real ones: the
// quoted line is handed to `sh -c` / `bash -c` (the remote side of an SSH exec
// request), whose printf prints each argument NUL-terminated. This is the only
// place a shell is spawned, and it is the system under test's counterpart.
for (const shell of ['sh', 'bash']) {
  test(`round-trips hostile strings through ${shell}`, async (t) => {
    const line = quoteArgv(['printf', '%s\\0', ...HOSTILE]);
    const r = await spawnArgv('local', [shell, '-c', line]);
    const got = r.stdout.split('\0');
    t.is(got.pop(), ''); // trailing terminator
    t.deepEqual(got, [...HOSTILE]);
  });
}
