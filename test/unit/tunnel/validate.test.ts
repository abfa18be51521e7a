import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { parseDnsList, parseExpires, validateClientName } from '../../../src/tunnel/validate.js';

const good = ['a', '0', 'alice', 'alice-phone', 'bob.laptop', 'x_1', 'a'.repeat(32), '9lives'];
const hostile = [
  '', ' ', 'a b', 'Alice', '-alice', '.alice', '_alice', 'a'.repeat(33), 'alice;rm -rf /', 'a$(id)', 'a`id`', 'a|b', 'a&b',
  'a>b', '../etc', 'a/b', 'a\nb', 'alice\n', 'a\0b', 'ålice', 'аlice' /* Cyrillic а */, 'a\tb', "a'b", 'a"b', 'a*', '*', 'a\\b',
];

for (const n of good) test(`name ok: ${JSON.stringify(n)}`, (t) => t.is(validateClientName(n), n));
for (const n of hostile) {
  test(`name rejected (exit 2): ${JSON.stringify(n)}`, (t) => {
    const e = t.throws(() => validateClientName(n), { instanceOf: InputError });
    t.is(e!.exitCode, 2);
    t.regex(e!.message, /NAME/);
  });
}

const NOW = new Date('2026-01-10T12:00:00Z');
test('expires: durations, dates, date-times', (t) => {
  t.is(parseExpires('12h', NOW), '2026-01-11T00:00:00.000Z');
  t.is(parseExpires('30d', NOW), '2026-02-09T12:00:00.000Z');
  t.is(parseExpires('2w', NOW), '2026-01-24T12:00:00.000Z');
  t.is(parseExpires('2026-12-31', NOW), '2026-12-31T23:59:59.999Z');
  t.is(parseExpires('2026-03-01T10:00:00+02:00', NOW), '2026-03-01T08:00:00.000Z');
});
for (const bad of ['', 'tomorrow', '0d', '2026-02-31', '2025-01-01', '2026-01-10T11:00:00Z', '1y', '12', '2026-13-01', '30d;id']) {
  test(`expires rejected: ${JSON.stringify(bad)}`, (t) => {
    t.throws(() => parseExpires(bad, NOW), { instanceOf: InputError, message: /--expires/ });
  });
}
test('dns: valid lists, canonical', (t) => {
  t.deepEqual(parseDnsList('1.1.1.1'), ['1.1.1.1']);
  t.deepEqual(parseDnsList('10.8.0.1, 2606:4700:4700::1111'), ['10.8.0.1', '2606:4700:4700::1111']);
});
for (const bad of ['', ',', '1.1.1', '127.1', '0x7f.0.0.1', '1.1.1.1,', 'dns.google', 'fe80::1%eth0', '1.1.1.1;id', '300.1.1.1']) {
  test(`dns rejected: ${JSON.stringify(bad)}`, (t) => {
    t.throws(() => parseDnsList(bad), { instanceOf: InputError, message: /--dns/ });
  });
}
