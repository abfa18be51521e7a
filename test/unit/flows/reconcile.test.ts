import test from 'ava';
import type { Flow } from '../../../src/ovs/flow.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { makeCookie, OWNER_MASK } from '../../../src/flows/cookie.js';
import { diffFlows } from '../../../src/flows/reconcile.js';
import { flowKey } from '../../../src/flows/text.js';
import { seedConfig } from './_seed.js';

const compiled = compilePipeline(seedConfig());
const desired = compiled.flows;

/** Decoded-style copies: masks spelled out the way a decoder may return them, ports as names. */
function asInstalled(flows: readonly Flow[]): Flow[] {
  return flows.map((f) => ({
    ...f,
    match: {
      ...f.match,
      ...(f.match.ipv4_src && !f.match.ipv4_src.includes('/') ? { ipv4_src: f.match.ipv4_src + '/32' } : {}),
      ...(f.match.eth_dst ? { eth_dst: f.match.eth_dst.toUpperCase() } : {}),
      ...(f.match.regs ? { regs: Object.fromEntries(Object.entries(f.match.regs).map(([k, v]) => [k, { value: v.value, mask: 0xffffffff }])) } : {}),
    },
    actions: f.actions.map((a) => (a.type === 'set_field' && typeof a.value === 'number' ? { ...a, value: '0x' + a.value.toString(16) } : a)),
  }));
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

test('no-op reconcile: installed == desired gives zero mods and zero meter changes', (t) => {
  const d = diffFlows(desired, asInstalled(desired), compiled.meters, compiled.meters);
  t.is(d.mods.length, 0);
  t.is(d.meters.length, 0);
  t.is(d.unchanged, desired.length);
  t.is(d.metersUnchanged, compiled.meters.length);
});

test('empty bridge: every desired flow is an add, every meter an add', (t) => {
  const d = diffFlows(desired, [], compiled.meters, []);
  t.is(d.mods.length, desired.length);
  t.true(d.mods.every((m) => m.command === 'add'));
  t.is(d.meters.length, compiled.meters.length);
});

test('one changed action gives exactly one modify_strict of that flow', (t) => {
  const installed = asInstalled(desired);
  const idx = desired.findIndex((f) => f.table === 60 && f.actions[0]?.type === 'output');
  installed[idx] = { ...installed[idx]!, actions: [{ type: 'output', port: 'internal_200' }] };
  const d = diffFlows(desired, installed);
  t.is(d.mods.length, 1);
  t.is(d.mods[0]!.command, 'modify_strict');
  t.is(flowKey(d.mods[0]!.flow), flowKey(desired[idx]!));
  t.deepEqual(d.mods[0]!.flow.actions, desired[idx]!.actions);
});

test('a changed cookie (new round) is an add that replaces the flow in place', (t) => {
  const installed = asInstalled(desired);
  installed[3] = { ...installed[3]!, cookie: installed[3]!.cookie ^ (1n << 40n) };
  const d = diffFlows(desired, installed);
  t.is(d.mods.length, 1);
  t.is(d.mods[0]!.command, 'add');
  t.is(d.modified.length, 1);
});

test('a stale owned flow is deleted; a foreign-cookie flow is never touched', (t) => {
  const stale: Flow = { table: 30, priority: 5, cookie: makeCookie({ round: 0, category: 'chain', rule: 'edge', objectId: 999 }), match: { in_port: 'internal_999' }, actions: [] };
  const foreign: Flow = { table: 0, priority: 5000, cookie: 0x1234n, match: { in_port: 'eth0' }, actions: [{ type: 'output', port: 'internal_100' }] };
  const foreignSameKey: Flow = { ...desired[0]!, cookie: 0xdeadn, actions: [] };
  const d = diffFlows(desired, [...asInstalled(desired), stale, foreign]);
  t.deepEqual(d.mods, [{ command: 'delete_strict', flow: stale }]);
  // A foreign flow sharing a desired key is not "ours": the diff neither deletes nor modifies it.
  const d2 = diffFlows([], [foreign, foreignSameKey]);
  t.is(d2.mods.length, 0);
  t.true((foreign.cookie & OWNER_MASK) !== (desired[0]!.cookie & OWNER_MASK));
});

test('foreign meters are ignored; changed owned meters are modified; stale owned meters deleted', (t) => {
  const m = compiled.meters;
  const installed = [{ id: 7, unit: 'pktps' as const, rate: 1 }, { ...m[0]!, rate: m[0]!.rate + 1 }, ...m.slice(1), { id: m[m.length - 1]!.id + 2, unit: 'pktps' as const, rate: 5 }];
  const d = diffFlows([], [], m, installed);
  t.deepEqual(d.meters.map((x) => [x.command, x.meter.id]), [['modify', m[0]!.id], ['delete', m[m.length - 1]!.id + 2]]);
});

test('random order of desired and installed flows gives the same result', (t) => {
  const installed = asInstalled(desired).slice(10);
  installed.push({ table: 30, priority: 7, cookie: makeCookie({ round: 0, category: 'chain', rule: 'edge', objectId: 5 }), match: { in_port: 'x' }, actions: [] });
  const base = diffFlows(desired, installed);
  const render = (d: ReturnType<typeof diffFlows>) => d.mods.map((m) => `${m.command} ${flowKey(m.flow)}`);
  for (const seed of [1, 2, 3, 42]) {
    t.deepEqual(render(diffFlows(shuffle(desired, seed), shuffle(installed, seed + 7))), render(base));
  }
  t.is(base.added.length, 10);
  t.is(base.deleted.length, 1);
});

test('duplicate desired keys are refused (compiler bug guard)', (t) => {
  t.throws(() => diffFlows([desired[0]!, { ...desired[0]! }], []), { message: /twice/ });
});
