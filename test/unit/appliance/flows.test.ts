/**
 * The flows component's plan carries exactly the diff's FLOW_MODs and METER_MODs
 * (each once), and nothing when in sync: apply sends what plan showed, no re-diff.
 */
import test from 'ava';
import { diffPipeline } from '../../../src/flows/apply.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { planFlows, type FlowsObserved } from '../../../src/appliance/flows.js';
import { resolvePorts } from '../../../src/ovs/ports.js';
import type { Flow } from '../../../src/ovs/flow.js';
import { seedConfig } from '../flows/_seed.js';

const compiled = compilePipeline(seedConfig());
const ports = new Map(compiled.topology.ports.map((p, i) => [p.name, i + 1] as const));
const observed = (flows: Flow[], meters = compiled.meters): FlowsObserved => {
  const installed = { flows, meters };
  return { ports, installed, report: diffPipeline(compiled, ports, installed) };
};
const resolved = compiled.flows.map((f) => resolvePorts(f, ports));

test('in sync: no changes', (t) => {
  t.deepEqual(planFlows(observed(resolved)), []);
});

test('drift: the changes carry every mod of the diff exactly once, meters included', (t) => {
  const stale: Flow = { ...resolved[0]!, priority: resolved[0]!.priority + 1 };
  const changedActions: Flow = { ...resolved[1]!, actions: [] };
  const o = observed([changedActions, ...resolved.slice(2, -3), stale], []);
  const plan = planFlows(o);
  t.deepEqual(plan.flatMap((c) => c.flows), [
    ...o.report.diff.mods.filter((m) => m.command === 'add' && o.report.diff.added.includes(m.flow)),
    ...o.report.diff.mods.filter((m) => m.command !== 'delete_strict' && !o.report.diff.added.includes(m.flow)),
    ...o.report.diff.mods.filter((m) => m.command === 'delete_strict'),
  ]);
  t.is(plan.flatMap((c) => c.flows).length, o.report.diff.mods.length);
  t.deepEqual(plan.flatMap((c) => c.meters), o.report.diff.meters);
  t.true(o.report.diff.meters.length > 0);
  t.regex(plan[0]!.describe, /^add \d+ flows?$/);
});
