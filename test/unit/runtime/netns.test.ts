import test from 'ava';
import { NetnsRuntime } from '../../../src/runtime/netns.js';
import { createRuntime } from '../../../src/runtime/index.js';
import { PctRuntime } from '../../../src/runtime/pct.js';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { ExecError } from '../../../src/host/exec.js';
import { InputError, OperationError } from '../../../src/core/errors.js';
import type { RuntimeConfig } from '../../../src/config/types.js';

/** A runtime config section; the cast keeps this test independent of unrelated new fields. */
const cfg = (o: Partial<RuntimeConfig>) => ({ kind: 'netns', netns_prefix: 'pr', node_netns: null, ...o }) as RuntimeConfig;

/** Host model: the set of named namespaces and which namespace each link is in. */
function host() {
  const fake = new FakeHostExec<{ ns: Set<string>; links: Map<string, string> }>({ target: 'host', state: { ns: new Set(['other']), links: new Map() } });
  return fake
    .on(['ip', 'netns', 'list'], ({ state }) => [...state.ns].map((n, i) => `${n} (id: ${i})`).join('\n'), { times: 'any' })
    .on(['ip', 'netns', 'add', /\S+/], ({ captures: [n], state }) => {
      if (state.ns.has(n!)) return { code: 1, stderr: `Cannot create namespace file "/run/netns/${n}": File exists` };
      state.ns.add(n!);
    }, { times: 'any' })
    .on(['ip', '-n', /\S+/, 'link', 'set', 'lo', 'up'], undefined, { times: 'any' });
}

test('ensure creates <prefix><id> with lo up, then is unchanged', async (t) => {
  const h = host();
  const rt = new NetnsRuntime({ prefix: 'pr-ct', host: h });
  t.is(await rt.status(100), 'missing');
  t.is(await rt.ensure({ id: 100, hostname: 'gw' }), 'created');
  t.true(h.state.ns.has('pr-ct100'));
  t.deepEqual(h.runs().filter((a) => a[1] === '-n'), [['ip', '-n', 'pr-ct100', 'link', 'set', 'lo', 'up']]);
  t.is(await rt.ensure({ id: 100, hostname: 'gw' }), 'unchanged');
  t.is(await rt.status(100), 'running');
  t.is(await rt.netnsPathOf(100), '/run/netns/pr-ct100');
  h.assertDone();
});

test('moveLink runs on the node executor, namespaces are made on the host executor', async (t) => {
  const h = host();
  h.state.ns.add('pr-ct101');
  const node = new FakeHostExec<{ links: Map<string, string> }>({ target: 'netns:node', state: { links: new Map([['internal_101', 'node']]) } })
    .on(['ip', 'link', 'set', 'dev', /\S+/, 'netns', /\S+/], ({ captures: [i, n], state }) => void state.links.set(i!, n!));
  const rt = new NetnsRuntime({ prefix: 'pr-ct', host: h, node });
  await rt.moveLink('internal_101', 101);
  t.is(node.state.links.get('internal_101'), 'pr-ct101');
  node.assertDone();
  await t.throwsAsync(rt.moveLink('internal_102', 102), { instanceOf: OperationError, message: /does not exist/ });
  await t.throwsAsync(rt.moveLink('x'.repeat(16), 101), { instanceOf: InputError });
});

test('exec runs ip netns exec <name> argv on the host and relabels errors', async (t) => {
  const h = host().on(['ip', 'netns', 'exec', 'pr-ct100', REST], ({ captures }) =>
    captures[0] === 'false' ? { code: 1, stderr: 'no' } : captures.join(' '), { times: 'any' });
  const ex = new NetnsRuntime({ prefix: 'pr-ct', host: h }).exec(100);
  t.is(ex.target, 'netns:pr-ct100');
  t.is((await ex.run(['echo', 'a b'], { env: { A: '1' } })).stdout, 'env A=1 echo a b');
  const e = await t.throwsAsync(ex.run(['false', 'S'], { secretArgs: [1] }), { instanceOf: ExecError });
  t.is(e!.target, 'netns:pr-ct100');
  t.deepEqual(e!.argv, ['false', '<redacted>']);
  t.is(e!.status, 1);
});

test('bad ids and prefixes are refused before anything runs', async (t) => {
  const h = host();
  t.throws(() => new NetnsRuntime({ prefix: 'a b', host: h }), { instanceOf: OperationError });
  const rt = new NetnsRuntime({ prefix: 'p', host: h });
  await t.throwsAsync(rt.ensure({ id: 12, hostname: 'x' }), { instanceOf: InputError });
  t.is(h.calls.length, 0);
});

test('createRuntime picks the implementation from config', (t) => {
  const h = host();
  t.is(createRuntime(cfg({ kind: 'netns' }), h).kind, 'netns');
  t.true(createRuntime(cfg({ kind: 'pct' }), h) instanceof PctRuntime);
});

test('createRuntime: links move inside runtime.node_netns, namespaces are still made on the host', async (t) => {
  const rt = createRuntime(cfg({ kind: 'netns', node_netns: 'lab-node' })) as NetnsRuntime;
  const ex = rt.exec(100);
  t.is(ex.target, 'netns:pr100');
  // The node executor is the namespace: visible through the private field in its target.
  t.is((rt as unknown as { node: { target: string } }).node.target, 'netns:lab-node');
  t.is((rt as unknown as { host: { target: string } }).host.target, 'local');
});
