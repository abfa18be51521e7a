/** NetnsExec (src/host/netns.ts) for real: commands run inside a private namespace. */
import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns } from '../../../src/lab/harness/index.js';
import { NetnsExec } from '../../../src/host/netns.js';
import { ExecError } from '../../../src/host/exec.js';
import { spawnArgv } from '../../../src/host/local.js';

const skip = skipUnless(rootSkipReason());
const t0 = skip ? test.skip : test.serial;
const scope = skip ? undefined : new Scope(uniquePrefix('prn'));
let ns: NetnsExec;

test.before(async () => {
  if (scope) ns = await createNetns(scope, 'ct');
});

test.after.always(async (t) => {
  if (!scope) return;
  await scope.close();
  const list = (await spawnArgv('local', ['ip', 'netns', 'list'])).stdout;
  t.false(list.split('\n').some((l) => l.startsWith(scope.prefix)), 'namespace left behind');
  t.false(existsSync(scope.dir), 'scope dir left behind');
});

t0('argv runs inside the namespace: only lo is there', async (t) => {
  const links = (await ns.run(['ip', '-o', 'link'])).stdout.trim().split('\n');
  t.is(links.length, 1);
  t.regex(links[0]!, /^1: lo:/);
  // And the root namespace has more than lo, so the check can fail.
  const root = (await spawnArgv('local', ['ip', '-o', 'link'])).stdout.trim().split('\n');
  t.true(root.length > 1);
  t.is(ns.target, `netns:${ns.name}`);
});

t0('argv is passed without a shell; stdin flows through', async (t) => {
  const r = await ns.run(['printf', '%s|', '$(id)', 'a;b', '*'], {});
  t.is(r.stdout, '$(id)|a;b|*|');
  t.is((await ns.run(['cat'], { stdin: 'via stdin' })).stdout, 'via stdin');
});

t0('a failing command is an ExecError naming the namespace, argv and stderr', async (t) => {
  const e = await t.throwsAsync(ns.run(['ip', 'link', 'show', 'nosuchdev']), { instanceOf: ExecError });
  t.is(e!.target, `netns:${ns.name}`);
  t.deepEqual(e!.argv, ['ip', 'link', 'show', 'nosuchdev']);
  t.is(e!.status, 1);
  t.regex(e!.stderr, /nosuchdev/);
});

t0('writeFile writes atomically with the mode', async (t) => {
  const f = path.join(scope!.dir, 'k');
  await ns.writeFile(f, 'secret', 0o600);
  t.is(statSync(f).mode & 0o777, 0o600);
  t.is((await ns.readFile(f)).toString(), 'secret');
});
