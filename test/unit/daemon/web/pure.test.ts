/**
 * The dashboard's pure parts: the traffic history stays bounded (points per
 * series and number of series) and turns counters into rates; the chain view
 * colours each node by the checks that concern it; the live monitor probes only
 * while watched and never overlaps itself.
 */
import test from 'ava';
import { TrafficHistory } from '../../../../src/daemon/web/traffic.js';
import { chainView } from '../../../../src/daemon/web/chain.js';
import { LiveMonitor, overlay } from '../../../../src/daemon/web/live.js';
import type { StatusReport } from '../../../../src/health/types.js';

test('traffic history: rates from counters, a counter reset restarts the base, bounded in points and series', (t) => {
  const h = new TrafficHistory(5, 3);
  h.record(0, [{ key: 'client:a', rxBytes: 100, txBytes: 0 }]);
  h.record(10_000, [{ key: 'client:a', rxBytes: 1100, txBytes: 500 }]);
  t.deepEqual(h.snapshot('client:'), { a: { t: [10_000], rx: [100], tx: [50] } });
  h.record(20_000, [{ key: 'client:a', rxBytes: 10, txBytes: 10 }]); // device restarted: no negative rate
  t.is(h.snapshot('client:').a!.t.length, 1);
  for (let i = 3; i < 100; i++) h.record(i * 10_000, [{ key: 'client:a', rxBytes: i * 1000, txBytes: i * 1000 }]);
  t.is(h.snapshot('client:').a!.t.length, 5, 'at most `points` rates per series');
  for (let i = 0; i < 10; i++) h.record(2_000_000 + i, [{ key: `hop:h${i}`, rxBytes: 0, txBytes: 0 }]);
  t.is(Object.keys({ ...h.snapshot('client:'), ...h.snapshot('hop:') }).length, 3, 'at most `maxSeries` series');
  t.true(h.size <= 15);
  h.retain((k) => k !== 'hop:h9');
  t.false('h9' in h.snapshot('hop:'));
});

const status = (over: Partial<Record<string, boolean>> = {}): StatusReport => ({
  ok: false, at: '2026-01-01T00:00:00.000Z', protections: [], capabilities: { macRotation: { available: true } },
  hops: [
    { hop: 'ovs', ok: true, detail: 'ok', checks: [{ name: 'ovs.bridge', ok: true, detail: 'bridge' }] },
    { hop: 'flows', ok: true, detail: 'ok', checks: [{ name: 'flows.table', ok: true, detail: 'flows' }] },
    { hop: 'gateway', ok: true, detail: 'ok', checks: [{ name: 'gateway.device', ok: true, detail: 'wg reachable' }], data: { peers: [{ handshakeAgeSec: 5 }, { handshakeAgeSec: null }] } },
    { hop: 'warp', ok: true, detail: 'ok', checks: [{ name: 'warp.trace', ok: true, detail: 'warp=on' }] },
    { hop: 'xray', ok: false, detail: 'x', checks: [
      { name: 'xray.client_engine', ok: true, detail: 'v2ray in CT101' },
      { name: 'xray.vps_engine', ok: true, detail: 'v2ray on the VPS' },
      { name: 'xray.socks', ok: over.socks ?? true, detail: 'socks probe' },
      { name: 'xray.vps_service', ok: over.vps ?? true, detail: 'vps service' },
      { name: 'xray.client_service', ok: over.client ?? true, detail: 'privroute-xray-client not running' },
    ] },
  ],
});

test('chain view: each node judged by its own checks', (t) => {
  const v = new Map(chainView(status({ client: false, socks: false })).map((n) => [n.id, n]));
  t.is(v.get('ct101')!.ok, false);
  t.is(v.get('ct101')!.reason, 'privroute-xray-client not running');
  t.is(v.get('internet')!.ok, false);
  for (const id of ['ct100', 'warp0', 'vps', 'fabric'] as const) t.true(v.get(id)!.ok, id);
  t.is(v.get('client')!.ok, null);
  t.regex(v.get('client')!.reason, /2 peer\(s\), 1 with a handshake/);
  const thrown = chainView({ ...status(), hops: [{ hop: 'gateway', ok: false, detail: 'check failed: ENOENT', checks: [] }] });
  t.false(thrown.find((n) => n.id === 'ct100')!.ok);
  t.is(thrown.find((n) => n.id === 'warp0')!.ok, null, 'an absent hop is not judged');
  t.true(chainView(null).every((n) => n.ok === null));
});

test('live monitor: probes only while watched, one at a time', async (t) => {
  let now = 0;
  let probes = 0;
  let release: () => void = () => undefined;
  const m = new LiveMonitor({
    probe: () => new Promise((r) => { probes++; release = () => r(status()); }),
    sample: async () => [],
    now: () => now, probeEveryMs: 1000, viewerTtlMs: 30_000,
  });
  m.start();
  t.is(probes, 0, 'nobody watches: no probe');
  m.viewed();
  t.is(probes, 1);
  now += 5000;
  m.tick();
  t.is(probes, 1, 'never two probes at once');
  release();
  await new Promise((r) => setImmediate(r));
  t.truthy(m.latest());
  now += 1000;
  m.tick();
  t.is(probes, 2);
  release();
  await new Promise((r) => setImmediate(r));
  now += 60_000;
  m.tick();
  t.is(probes, 2, 'the viewer left: no more probes');
  await m.stop();
});

test('overlay: newer quick-probe hops replace the full status\'s, ok recomputed; older ones are ignored', (t) => {
  const full = { ...status(), ok: true, hops: status().hops.filter((h) => h.hop !== 'xray') };
  const down = { hop: 'gateway' as const, ok: false, detail: 'check failed: ENOENT', checks: [] };
  const o = overlay(full, { at: '2026-01-01T00:00:05.000Z', hops: [down] }, Date.parse('2026-01-01T00:10:00.000Z'))!;
  t.false(o.ok);
  t.is(o.hops.find((h) => h.hop === 'gateway'), down);
  t.is(o.hops.length, full.hops.length);
  t.is(o.at, full.at, 'the full status keeps its time');
  const now = Date.parse('2026-01-01T00:00:30.000Z');
  t.is(overlay(full, { at: '2025-12-31T23:59:59.000Z', hops: [down] }, now), full, 'an older, stale quick probe changes nothing');
  t.false(overlay(full, { at: '2025-12-31T23:59:59.000Z', hops: [down] }, Date.parse('2026-01-01T00:00:05.000Z'))!.ok, 'an older but fresh (10 s) quick probe still wins');
  t.is(overlay(null, { at: '2026-01-01T00:00:05.000Z', hops: [down] }), null);
});
