import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildProgram, run, runProgram } from '../../../src/cli/program.js';
import { action } from '../../../src/cli/context.js';
import { InputError, OperationError } from '../../../src/core/errors.js';
import { memoryIo } from './_io.js';

const COMMANDS = ['init', 'plan', 'add-client', 'list-clients', 'show-client', 'revoke-client', 'disable-client', 'enable-client', 'status', 'rotate', 'flows', 'daemon', 'lab', 'config'];

test('--help lists every command, and config lists check', async (t) => {
  const io = memoryIo();
  t.is(await run(['--help'], io), 0);
  for (const c of COMMANDS) t.regex(io.out.text, new RegExp(`^  ${c}\\b`, 'm'), c);
  const io2 = memoryIo();
  t.is(await run(['config', '--help'], io2), 0);
  t.regex(io2.out.text, /^  check\b/m);
});

test('--version exits 0', async (t) => {
  const io = memoryIo();
  t.is(await run(['--version'], io), 0);
  t.regex(io.out.text, /^\d+\.\d+\.\d+/);
});

test('usage errors exit 2', async (t) => {
  for (const argv of [['no-such-command'], ['show-client'], ['--bogus-option', 'status'], ['--log-level', 'loud', 'status']]) {
    const io = memoryIo();
    t.is(await run(argv, io), 2, argv.join(' '));
    t.regex(io.err.text, /error:/);
  }
  // No command at all, or a command group without its subcommand: help on stderr, exit 2.
  for (const argv of [[], ['config']]) {
    const io = memoryIo();
    t.is(await run(argv, io), 2, argv.join(' ') || '(none)');
    t.regex(io.err.text, /Usage: privroute/);
  }
});

/** A program with extra test commands exercising the error paths. */
function programWithTestCommands(io: ReturnType<typeof memoryIo>) {
  const p = buildProgram(io);
  p.command('t-reported').action(action((ctx) => {
    ctx.output({ ok: false }, () => 'FAIL something');
    throw new OperationError('t-reported', 'unhealthy: something', { hint: 'see the FAIL line', reported: true });
  }));
  p.command('t-input').action(action(() => {
    throw new InputError({ path: 'name', value: 'a b', expected: 'expected [a-z0-9-]+' }, { hint: 'pick another name' });
  }));
  p.command('t-bug').action(action(() => {
    throw new TypeError('boom');
  }));
  p.command('t-store').action(action((ctx) => {
    ctx.store();
  }));
  p.command('t-json').action(action((ctx) => {
    ctx.output({ n: 1n, s: 'x' }, () => 'human text');
  }));
  return p;
}

test('a failure whose result is already printed exits 1 and keeps --json stdout one document', async (t) => {
  const io = memoryIo();
  t.is(await runProgram(programWithTestCommands(io), ['--json', 't-reported'], io), 1);
  // Before the fix stdout held the report and then a second JSON document (the error).
  t.deepEqual(JSON.parse(io.out.text), { ok: false });
  t.regex(io.err.text, /^t-reported: unhealthy: something\nhint: see the FAIL line\n$/);
  const io2 = memoryIo();
  t.is(await runProgram(programWithTestCommands(io2), ['t-reported'], io2), 1);
  t.is(io2.out.text, 'FAIL something\n');
});

test('bad input exits 2 with message and hint; --json also prints the error as JSON', async (t) => {
  const io = memoryIo();
  t.is(await runProgram(programWithTestCommands(io), ['t-input'], io), 2);
  t.regex(io.err.text, /name: got "a b"; expected \[a-z0-9-\]\+\nhint: pick another name\n$/);
  const io2 = memoryIo();
  t.is(await runProgram(programWithTestCommands(io2), ['--json', 't-input'], io2), 2);
  const j = JSON.parse(io2.out.text);
  t.is(j.error.code, 'E_INPUT');
  t.deepEqual(j.error.problems, [{ path: 'name', value: 'a b', expected: 'expected [a-z0-9-]+' }]);
});

test('an unexpected error is reported as internal, exit 1', async (t) => {
  const io = memoryIo();
  t.is(await runProgram(programWithTestCommands(io), ['t-bug'], io), 1);
  t.regex(io.err.text, /internal error: boom/);
});

test('the state store is opened lazily and a missing one says to run init', async (t) => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'prcli-')), 'state');
  const io = memoryIo();
  t.is(await runProgram(programWithTestCommands(io), ['--state-dir', dir, 't-store'], io), 1);
  t.regex(io.err.text, /no state store at .*state\.db\nhint: run "privroute init" first/);
  const io2 = memoryIo({ PRIVROUTE_STATE_DIR: dir });
  t.is(await runProgram(programWithTestCommands(io2), ['t-store'], io2), 1, 'PRIVROUTE_STATE_DIR is honored');
  t.regex(io2.err.text, new RegExp(dir));
});

test('output() prints human text, or JSON with --json (bigint as string)', async (t) => {
  const io = memoryIo();
  t.is(await runProgram(programWithTestCommands(io), ['t-json'], io), 0);
  t.is(io.out.text, 'human text\n');
  const io2 = memoryIo();
  t.is(await runProgram(programWithTestCommands(io2), ['t-json', '--json'], io2), 0);
  t.deepEqual(JSON.parse(io2.out.text), { n: '1', s: 'x' });
});
