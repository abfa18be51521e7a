import test from 'ava';
import {
  EXIT_BAD_INPUT, EXIT_FAILURE, InputError, OperationError, PreconditionError, PrivrouteError,
  StateError, formatProblem, isPrivrouteError,
} from '../../../src/core/errors.js';

test('exit codes: bad input 2, everything else 1', (t) => {
  t.is(new InputError({ path: 'a', expected: 'x' }).exitCode, EXIT_BAD_INPUT);
  t.is(EXIT_BAD_INPUT, 2);
  for (const e of [new PreconditionError('m', 'h'), new OperationError('ovsdb', 'm'), new StateError('m', 'h')]) {
    t.is(e.exitCode, EXIT_FAILURE);
    t.is(EXIT_FAILURE, 1);
  }
});

test('the brand check works across classes and rejects look-alikes', (t) => {
  t.true(isPrivrouteError(new StateError('m', 'h')));
  t.true(isPrivrouteError(new PrivrouteError('E_X', 'm')));
  t.false(isPrivrouteError(new Error('m')));
  t.false(isPrivrouteError({ code: 'E_INPUT', exitCode: 2, message: 'fake' }));
  t.false(isPrivrouteError(null));
  t.false(isPrivrouteError('E_INPUT'));
});

test('InputError lists every problem with path, value and expectation', (t) => {
  const e = new InputError([
    { path: 'plugins.privacy_router.xray.socks_port', value: 70000, expected: 'expected a port number 1..65535' },
    { path: 'plugins.privacy_router.wireguard.endpoint', expected: 'required by "privroute add-client"' },
  ], { hint: 'fix them' });
  t.is(e.code, 'E_INPUT');
  t.is(e.problems.length, 2);
  t.is(e.message, '2 problems in input:\n' +
    '  - plugins.privacy_router.xray.socks_port: got 70000; expected a port number 1..65535\n' +
    '  - plugins.privacy_router.wireguard.endpoint: got missing; required by "privroute add-client"');
  t.is(e.hint, 'fix them');
  t.is(formatProblem({ path: 'p', value: 'a"b', expected: 'x' }), 'p: got "a\\"b"; x');
});

test('errors keep their cause, code, step and class name', (t) => {
  const cause = new Error('ECONNREFUSED');
  const e = new OperationError('warp-api', 'register failed', { hint: 'check network', cause });
  t.is(e.message, 'warp-api: register failed');
  t.is(e.step, 'warp-api');
  t.is(e.cause, cause);
  t.is(e.hint, 'check network');
  t.is(e.name, 'OperationError');
  t.is(e.code, 'E_OPERATION');
  t.true(e instanceof PrivrouteError && e instanceof Error);
  t.false(e.reported);
  t.true(new OperationError('status', 'unhealthy', { reported: true }).reported);
});
