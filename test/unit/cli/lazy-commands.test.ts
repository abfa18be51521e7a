import test from 'ava';
import { COMMAND_NAMES, commandsFor } from '../../../src/cli/commands/index.js';
import { onlyVersion } from '../../../src/cli/version.js';

test('a run loads only the command it invokes (global options and their values skipped)', (t) => {
  t.deepEqual(commandsFor(['init']), ['init']);
  t.deepEqual(commandsFor(['--config', 'x.json', '--json', 'status']), ['status']);
  t.deepEqual(commandsFor(['--state-dir', 'plan', 'init']), ['init'], 'a value of --state-dir is not the command');
  t.deepEqual(commandsFor(['--log-level', 'debug', 'rotate', 'warp']), ['rotate']);
});

test('help, an unknown command or none loads every command; a bare --version none', (t) => {
  t.deepEqual(commandsFor([]), COMMAND_NAMES);
  t.deepEqual(commandsFor(['--help']), COMMAND_NAMES);
  t.deepEqual(commandsFor(['help', 'init']), COMMAND_NAMES);
  t.deepEqual(commandsFor(['inti']), COMMAND_NAMES, 'commander suggests the right name only if it knows them all');
  t.deepEqual(commandsFor(['--version']), []);
  t.deepEqual(commandsFor(['-V', '--json']), []);
  t.is(COMMAND_NAMES.length, new Set(COMMAND_NAMES).size);
});

test('only a bare --version / -V takes the fast path in main', (t) => {
  t.true(onlyVersion(['--version']));
  t.true(onlyVersion(['-V']));
  t.false(onlyVersion(['--version', 'init']));
  t.false(onlyVersion([]));
  t.false(onlyVersion(['init', '--version']));
});
