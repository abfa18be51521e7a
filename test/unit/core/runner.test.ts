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

/** A component whose observe blocks until the test releases it; records when observes start. */
function gated(name: string, started: string[], dependsOn?: string[], onApply?: () => void) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let observes = 0;
  const c: Component<number, Change> = {
    name,
    dependsOn,
    observe: async () => {
      started.push(name);
      observes++;
      await gate;
      return observes;
    },
    plan: () => (onApply ? [{ describe: `${name} change` }] : []),
    apply: async () => onApply?.(),
  };
  return { c, release, observes: () => observes };
}

test('every observe starts at once, dependents too (speculatively); ready() waits for the dependencies', async (t) => {
  const started: string[] = [];
  const a = gated('a', started);
  const b = gated('b', started);
  const c = gated('c', started, ['a']);
  const readyAt: string[] = [];
  const d: Component<null, Change> = {
    name: 'd',
    dependsOn: ['a'],
    observe: async (run) => {
      await run!.ready(); // e.g. an SSH connection: only once a has converged
      readyAt.push(`d ready, a observed ${a.observes()}x`);
      return null;
    },
    plan: () => [],
    apply: async () => {},
  };
  const run = runComponents([a.c, b.c, c.c, d], { planOnly: true });
  await new Promise((r) => setImmediate(r));
  // a, b and c are all observing before any finished: c does not wait for a.
  t.deepEqual(started, ['a', 'b', 'c']);
  t.deepEqual(readyAt, [], 'd has not passed ready(): a has not settled');
  b.release();
  c.release();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(readyAt, [], 'd still waits for a');
  a.release();
  const reports = await run;
  t.deepEqual(readyAt, ['d ready, a observed 1x']);
  t.deepEqual(reports.map((r) => [r.name, r.status]), [['a', 'unchanged'], ['b', 'unchanged'], ['c', 'unchanged'], ['d', 'unchanged']]);
});

test('ready() rejects when a dependency failed (the component is skipped) or a change was applied meanwhile (observed again)', async (t) => {
  const calls: string[] = [];
  const waiter = (name: string, dependsOn: string[]): Component<null, Change> => ({
    name,
    dependsOn,
    observe: async (run) => {
      calls.push(`${name} observe`);
      try {
        await run!.ready();
      } catch (e) {
        calls.push(`${name} ready rejected: ${(e as Error).message}`);
        throw e;
      }
      calls.push(`${name} connected`);
      return null;
    },
    plan: () => [],
    apply: async () => {},
  });
  const broken: Component<null, Change> = { name: 'broken', observe: async () => Promise.reject(new Error('no')), plan: () => [], apply: async () => {} };
  const r1 = await runComponents([broken, waiter('x', ['broken'])]);
  t.deepEqual(r1.map((r) => r.status), ['failed', 'skipped']);
  t.deepEqual(calls, ['x observe', 'x ready rejected: observation discarded: dependency broken did not converge'], 'x never got past ready()');
  calls.length = 0;
  const log: string[] = [];
  const r2 = await runComponents([setComponent('dep', ['item'], new Set(), log), waiter('y', ['dep'])]);
  t.deepEqual(log, ['dep:add item']);
  t.deepEqual(r2.map((r) => r.status), ['changed', 'unchanged']);
  t.deepEqual(calls, ['y observe', 'y ready rejected: observation discarded: a change was applied while it ran', 'y observe', 'y connected']);
});

test('an observation taken while an earlier component applied is discarded and taken again (sequential result)', async (t) => {
  const started: string[] = [];
  const applied: string[] = [];
  const a = gated('a', started, undefined, () => applied.push('a'));
  const b = gated('b', started); // independent of a, but listed after it
  a.release();
  b.release();
  const reports = await runComponents([a.c, b.c]);
  t.deepEqual(applied, ['a']);
  t.is(a.observes(), 1);
  t.is(b.observes(), 2, 'b began observing before a applied, so it observed again after');
  t.deepEqual(reports.map((r) => r.status), ['changed', 'unchanged']);
  // In plan mode nothing applies (p's change is only planned), so nothing is observed twice.
  const p = gated('p', [], undefined, () => t.fail('plan mode applied'));
  const q = gated('q', []);
  p.release();
  q.release();
  const planned = await runComponents([p.c, q.c], { planOnly: true });
  t.deepEqual(planned.map((r) => r.status), ['planned', 'unchanged']);
  t.is(q.observes(), 1);
});

test('close() of every component runs once at the end, also after a failure', async (t) => {
  const closed: string[] = [];
  const mk = (name: string, fail: boolean, dependsOn?: string[]): Component<null, Change> => ({
    name,
    dependsOn,
    observe: async () => {
      if (fail) throw new Error(`${name} broke`);
      return null;
    },
    plan: () => [],
    apply: async () => {},
    close: async () => void closed.push(name),
  });
  const reports = await runComponents([mk('a', true), mk('b', false, ['a']), mk('c', false)]);
  t.deepEqual(reports.map((r) => r.status), ['failed', 'skipped', 'unchanged']);
  t.deepEqual(closed.sort(), ['a', 'b', 'c']);
});
