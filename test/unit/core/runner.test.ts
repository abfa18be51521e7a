import test from 'ava';
import { runComponents, orderComponents, converged, type Component, type Change } from '../../../src/core/runner.js';

/** A fake component over a tiny model: desired set vs actual set, with an apply log. */
function setComponent(name: string, desired: string[], actual: Set<string>, log: string[], opts: { dependsOn?: string[]; failApply?: boolean } = {}): Component<Set<string>, Change & { item: string; op: 'add' | 'del' }> {
  return {
    name,
    dependsOn: opts.dependsOn,
    observe: async () => new Set(actual),
    plan: (obs) => [
      ...desired.filter((d) => !obs.has(d)).map((item) => ({ item, op: 'add' as const, describe: `add ${item}` })),
      ...[...obs].filter((o) => !desired.includes(o)).map((item) => ({ item, op: 'del' as const, describe: `delete ${item}` })),
    ],
    apply: async (changes) => {
      if (opts.failApply) throw new Error(`${name} exploded`);
      for (const c of changes) {
        log.push(`${name}:${c.describe}`);
        if (c.op === 'add') actual.add(c.item);
        else actual.delete(c.item);
      }
    },
  };
}

test('orders by dependency and detects cycles and unknown deps', (t) => {
  const order = orderComponents([
    { name: 'c', dependsOn: ['b'] },
    { name: 'a' },
    { name: 'b', dependsOn: ['a'] },
  ]).map((c) => c.name);
  t.deepEqual(order, ['a', 'b', 'c']);
  t.throws(() => orderComponents([{ name: 'x', dependsOn: ['y'] }, { name: 'y', dependsOn: ['x'] }]), { message: /cycle/ });
  t.throws(() => orderComponents([{ name: 'x', dependsOn: ['nope'] }]), { message: /unknown component nope/ });
});

test('apply converges, and a second run changes nothing', async (t) => {
  const log: string[] = [];
  const actual = new Set(['stale']);
  const comps = [setComponent('ports', ['p1', 'p2'], actual, log)];
  const first = await runComponents(comps);
  t.is(first[0]!.status, 'changed');
  t.deepEqual(first[0]!.changes, ['add p1', 'add p2', 'delete stale']);
  const second = await runComponents(comps);
  t.is(second[0]!.status, 'unchanged');
  t.is(log.length, 3);
});

test('plan reports changes without applying', async (t) => {
  const log: string[] = [];
  const actual = new Set<string>();
  const r = await runComponents([setComponent('ports', ['p1'], actual, log)], { planOnly: true });
  t.is(r[0]!.status, 'planned');
  t.deepEqual(r[0]!.changes, ['add p1']);
  t.deepEqual(log, []);
  t.is(actual.size, 0);
});

test('a failure skips dependents but not independent components', async (t) => {
  const log: string[] = [];
  const r = await runComponents([
    setComponent('ovs', ['br'], new Set(), log, { failApply: true }),
    setComponent('flows', ['f'], new Set(), log, { dependsOn: ['ovs'] }),
    setComponent('warp', ['w'], new Set(), log),
  ]);
  const by = Object.fromEntries(r.map((x) => [x.name, x]));
  t.is(by.ovs!.status, 'failed');
  t.regex(by.ovs!.detail!, /exploded/);
  t.is(by.flows!.status, 'skipped');
  t.is(by.warp!.status, 'changed');
  t.false(converged(r));
  t.deepEqual(log, ['warp:add w']);
});
