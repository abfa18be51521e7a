import test from 'ava';
import { Writable } from 'node:stream';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Flow, Meter } from '../../../src/ovs/flow.js';
import type { FlowMod, MeterMod } from '../../../src/ovs/openflow/client.js';
import { resolvePorts } from '../../../src/ovs/ports.js';
import { applyPipeline, type FlowSwitch } from '../../../src/flows/apply.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { OWNER_COOKIE, OWNER_MASK } from '../../../src/flows/cookie.js';
import { run } from '../../../src/cli/program.js';
import { seedConfig } from './_seed.js';

/** A fake switch holding state: dump honours the cookie filter; applyBundle records and applies. */
class FakeSwitch implements FlowSwitch {
  bundles: { mods: FlowMod[]; meters: MeterMod[] }[] = [];
  constructor(public flows: Flow[], public meters: Meter[]) {}
  async dumpFlows(f: { cookie?: bigint; cookieMask?: bigint } = {}): Promise<Flow[]> {
    const mask = f.cookieMask ?? 0n;
    return this.flows.filter((x) => (x.cookie & mask) === ((f.cookie ?? 0n) & mask));
  }
  async dumpMeters(): Promise<Meter[]> {
    return this.meters;
  }
  async applyBundle(mods: FlowMod[], meters: MeterMod[] = []): Promise<void> {
    this.bundles.push({ mods, meters });
  }
}

const config = seedConfig();
const compiled = compilePipeline(config);
const ports = Object.fromEntries(compiled.topology.ports.map((p, i) => [p.name, i + 1]));
const installed = () => compiled.flows.map((f) => resolvePorts(f, ports));

test('apply: in sync → no bundle at all; the dump is filtered by the ownership cookie', async (t) => {
  const foreign: Flow = { table: 0, priority: 1, cookie: 0x99n, match: {}, actions: [] };
  const sw = new FakeSwitch([...installed(), foreign], compiled.meters);
  let filter: unknown;
  const dump = sw.dumpFlows.bind(sw);
  sw.dumpFlows = async (f) => ((filter = f), dump(f));
  const r = await applyPipeline(sw, compiled, ports);
  t.false(r.sent);
  t.is(sw.bundles.length, 0);
  t.is(r.unchanged, compiled.flows.length);
  t.deepEqual(filter, { cookie: OWNER_COOKIE, cookieMask: OWNER_MASK });
});

test('apply: empty switch → exactly one bundle with every flow (ports resolved) and every meter', async (t) => {
  const sw = new FakeSwitch([], []);
  const r = await applyPipeline(sw, compiled, ports);
  t.true(r.sent);
  t.is(sw.bundles.length, 1);
  t.is(sw.bundles[0]!.mods.length, compiled.flows.length);
  t.true(sw.bundles[0]!.mods.every((m) => m.command === 'add' && (m.flow.match.in_port === undefined || typeof m.flow.match.in_port === 'number')));
  t.is(sw.bundles[0]!.meters.length, compiled.meters.length);
});

test('apply: dry run diffs but sends nothing', async (t) => {
  const sw = new FakeSwitch([], []);
  const r = await applyPipeline(sw, compiled, ports, { dryRun: true });
  t.false(r.sent);
  t.is(sw.bundles.length, 0);
  t.is(r.added, compiled.flows.length);
});

function capture(): { io: { out: Writable; err: Writable; env: NodeJS.ProcessEnv }; out: () => string; err: () => string } {
  let o = '';
  let e = '';
  const out = new Writable({ write: (c, _e, cb) => ((o += c), cb()) });
  const err = new Writable({ write: (c, _e, cb) => ((e += c), cb()) });
  return { io: { out, err, env: {} }, out: () => o, err: () => e };
}

test('cli: `flows --json` with OVS unreachable still reports user-flow verdicts and protections', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prflows-'));
  const raw = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8'));
  raw.plugins.privacy_router.ovs = { db: `unix:${dir}/nope.sock`, rundir: dir };
  writeFileSync(path.join(dir, 'c.json'), JSON.stringify(raw));
  const c = capture();
  const code = await run(['--config', path.join(dir, 'c.json'), '--json', 'flows'], c.io);
  t.is(code, 0, c.err());
  const data = JSON.parse(c.out());
  t.deepEqual(data.userFlows.map((u: { status: string }) => u.status), ['shadowed', 'narrowed', 'narrowed']);
  t.truthy(data.unreachable);
  t.is(data.installed, null);
  t.true(data.protections.some((p: { id: string; status: string }) => p.id === 'timing' && p.status === 'unavailable'));
  // --diff needs the switch: unreachable is an error, not a silent "in sync".
  const c2 = capture();
  t.not(await run(['--config', path.join(dir, 'c.json'), 'flows', '--diff'], c2.io), 0);
});

test('cli: bad input exits 2 naming the config path, before touching anything', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prflows-'));
  const raw = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8'));
  raw.plugins.privacy_router.ovs = { db: `unix:${dir}/nope.sock`, rundir: dir };
  raw.plugins.privacy_router.openflow.privacy_flows[1].match_fields = { in_port: 'internal_999' };
  writeFileSync(path.join(dir, 'c.json'), JSON.stringify(raw));
  const c = capture();
  t.is(await run(['--config', path.join(dir, 'c.json'), 'flows', '--apply'], c.io), 2);
  t.regex(c.err(), /privacy_flows\[1\]\.match_fields\.in_port/);
});

test('apply: port numbers changed in place (vswitchd restart) are not served from a stale cache', async (t) => {
  const p = new Map(Object.entries(ports));
  const sw = new FakeSwitch(compiled.flows.map((f) => resolvePorts(f, p)), compiled.meters);
  t.false((await applyPipeline(sw, compiled, p)).sent);
  // Same Map object, new numbers: every flow with a port must be re-added under the new numbers.
  for (const [k, v] of p) p.set(k, v + 100);
  const r = await applyPipeline(sw, compiled, p);
  t.true(r.sent);
  t.true(r.added > 0);
  const adds = sw.bundles[0]!.mods.flatMap((m) => (m.command === 'add' ? [m.flow] : []));
  t.true(adds.every((f) => f.match.in_port === undefined || (f.match.in_port as number) > 100));
});
