/**
 * Status judgement and rendering, pure: a hop is ok only when every check is;
 * a throwing check becomes a failed hop; protections are never claimed enforced
 * when their flows are not installed (or cannot be read); the gateway is judged
 * on listen port and the store's peers; OVS on bridge, fail_mode and ports.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../../src/config/validate.js';
import type { Protection } from '../../../src/flows/protections.js';
import type { ApplyReport } from '../../../src/flows/apply.js';
import type { Flow } from '../../../src/ovs/flow.js';
import { guarded, renderStatus } from '../../../src/health/status.js';
import { foreignFlows, verifiedProtections, judgeFlows } from '../../../src/health/flows.js';
import { OWNER_COOKIE } from '../../../src/flows/cookie.js';
import { judgeGateway } from '../../../src/health/gateway.js';
import { judgeOvs } from '../../../src/health/ovs.js';
import { hopFrom, type StatusReport } from '../../../src/health/types.js';
import { applianceContext } from '../../../src/appliance/context.js';
import type { ObservedSwitch } from '../../../src/ovs/ovsdb/state.js';
import { StateStore } from '../../../src/state/store.js';
import { seed } from '../config/_seed.js';

const config = validateConfig(seed());

test('hopFrom: ok only if every check is ok; the detail names the failures', (t) => {
  t.like(hopFrom('ovs', [{ name: 'a', ok: true, detail: 'x' }], 'all good'), { ok: true, detail: 'all good' });
  const h = hopFrom('ovs', [{ name: 'a', ok: true, detail: 'x' }, { name: 'b', ok: false, detail: 'port internal_100 missing' }], 'all good');
  t.false(h.ok);
  t.is(h.detail, 'port internal_100 missing');
  t.false(hopFrom('ovs', [], 'nothing checked').ok, 'no check = not healthy');
});

test('guarded: a throwing check is a failed hop with the message', async (t) => {
  const h = await guarded('gateway', async () => { throw new Error('uapi:/var/run/wireguard/wg0.sock: connect ENOENT'); });
  t.false(h.ok);
  t.is(h.hop, 'gateway');
  t.regex(h.detail, /check failed: uapi.*ENOENT/);
});


const flow = (cookie: bigint): Flow => ({ table: 0, priority: 1, cookie, match: {}, actions: [] }) as unknown as Flow;
const report = (added: Flow[], unchanged = 10): ApplyReport => ({
  added: added.length, modified: 0, deleted: 0, unchanged, sent: false,
  meters: { added: 0, modified: 0, deleted: 0, unchanged: 2 },
  diff: { mods: [], meters: [], added, modified: [], deleted: [], unchanged, metersUnchanged: 2 },
});
const listed: Protection[] = [
  { id: 'miss-drop', name: 'miss drop', requestedBy: 'x', status: 'enforced', cookies: ['0x00000000000000aa'] },
  { id: 'isolation', name: 'isolation', requestedBy: 'x', status: 'enforced', cookies: ['0x00000000000000bb'] },
  { id: 'timing', name: 'timing', requestedBy: 'x', status: 'unavailable', reason: 'no jitter' },
];

test('protections: enforced only while their flows are installed as compiled', (t) => {
  t.deepEqual(verifiedProtections(listed, report([])).map((p) => p.status), ['enforced', 'enforced', 'unavailable']);
  const broken = verifiedProtections(listed, report([flow(0xbbn)]));
  t.is(broken[0]!.status, 'enforced');
  t.is(broken[1]!.status, 'unavailable');
  t.regex(broken[1]!.reason!, /0x00000000000000bb are not installed/);
  const unread = verifiedProtections(listed, null, 'connect ECONNREFUSED');
  t.true(unread.every((p) => p.status === 'unavailable'));
  t.regex(unread[0]!.reason!, /not verified: connect ECONNREFUSED/);
});

test('flows: drift fails the hop', (t) => {
  t.true(judgeFlows(report([])).ok);
  const h = judgeFlows(report([flow(1n), flow(2n)]));
  t.false(h.ok);
  t.regex(h.detail, /2 missing/);
});

// Issue 11 item 15: status dumped only privroute-owned cookies, so a foreign flow
// in privroute's tables (say priority 65535 actions=NORMAL in table 0, which
// bypasses the whole pipeline) went unreported and protections stayed "enforced".
test('flows: a foreign flow in privroute\'s tables fails the hop and un-claims the protections', (t) => {
  const owned = flow(OWNER_COOKIE | 0xaan);
  const foreignInOurs = { ...flow(0x1234n), table: 0, priority: 65535 } as Flow;
  const foreignElsewhere = { ...flow(0x99n), table: 200 } as Flow;
  const found = foreignFlows([owned, foreignInOurs, foreignElsewhere], new Set([0, 1, 2]));
  t.deepEqual(found, [foreignInOurs]);
  const h = judgeFlows(report([]), found);
  t.false(h.ok);
  t.regex(h.detail, /1 foreign flow.*table 0 priority 65535 cookie 0x0000000000001234/);
  t.true(judgeFlows(report([]), []).ok);
  const ps = verifiedProtections(listed, report([]), undefined, found);
  t.deepEqual(ps.map((p) => p.status), ['unavailable', 'unavailable', 'unavailable']);
  t.regex(ps[0]!.reason!, /foreign flow/);
});

test('gateway: listen port and peers against the store', (t) => {
  const wg = config.plugins.privacy_router.wireguard;
  const hs = new Date('2026-01-01T00:00:00Z');
  const dev = { privateKey: null, publicKey: null, listenPort: wg.listen_port, peers: [{ publicKey: 'K1', allowedIps: [], rxBytes: 1, txBytes: 2, lastHandshake: hs }] };
  const ok = judgeGateway(config, dev, ['K1'], new Date('2026-01-01T00:01:00Z'));
  t.true(ok.ok, ok.detail);
  t.is((ok.data!.peers as { handshakeAgeSec: number }[])[0]!.handshakeAgeSec, 60);
  const wrongPort = judgeGateway(config, { ...dev, listenPort: wg.listen_port + 1 }, ['K1']);
  t.false(wrongPort.ok);
  t.regex(wrongPort.detail, /listen port is/);
  const missing = judgeGateway(config, dev, ['K1', 'K2']);
  t.false(missing.ok);
  t.regex(missing.detail, /1 missing, 0 unknown/);
});

function ovsFixture(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prh-'));
  const store = StateStore.open(dir, { create: true });
  t.teardown(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });
  const ctx = applianceContext(config, store);
  const bridge = config.plugins.privacy_router.bridge_name;
  const make = (failMode: string | undefined, skip: string[] = []): ObservedSwitch => {
    const ports = new Map();
    const interfaces = new Map();
    const uuids: string[] = [];
    ctx.topology.ports.filter((p) => !skip.includes(p.name)).forEach((p, i) => {
      ports.set(`p${i}`, { uuid: `p${i}`, name: p.name, interfaces: [`i${i}`], external_ids: { 'privroute-owner': 'privroute' } });
      interfaces.set(`i${i}`, { uuid: `i${i}`, name: p.name, type: 'internal', ofport: i + 1, mac: p.mac, mac_in_use: p.mac, external_ids: { 'privroute-owner': 'privroute' } });
      uuids.push(`p${i}`);
    });
    const b = { uuid: 'b', name: bridge, datapath_type: config.plugins.privacy_router.ovs.datapath_type, protocols: ['OpenFlow13', 'OpenFlow14'], ports: uuids, external_ids: { 'privroute-owner': 'privroute' }, ...(failMode ? { fail_mode: failMode } : {}) };
    return { rootUuid: 'r', nextCfg: 1, curCfg: 1, bridgeUuids: ['b'], bridges: new Map([[bridge, b]]), ports, interfaces };
  };
  return { ctx, make, bridge };
}

test('ovs: bridge, fail_mode secure, ports present', (t) => {
  const { ctx, make, bridge } = ovsFixture(t);
  const good = judgeOvs(ctx, make('secure'));
  t.true(good.ok, JSON.stringify(good.checks));
  const standalone = judgeOvs(ctx, make(undefined));
  t.false(standalone.ok);
  t.true(standalone.checks.some((c) => c.name === 'ovs.fail_mode' && !c.ok));
  const first = ctx.topology.ports[0]!.name;
  const missing = judgeOvs(ctx, make('secure', [first]));
  t.false(missing.ok);
  t.regex(missing.detail, new RegExp(`missing: ${first}`));
  const none = judgeOvs(ctx, { ...make('secure'), bridges: new Map() });
  t.false(none.ok);
  t.is(none.detail, `bridge ${bridge} does not exist`);
});

test('render: FAIL lines for failed hops, protections with their honest status', (t) => {
  const s: StatusReport = {
    ok: false, at: '2026-01-01T00:00:00.000Z',
    hops: [
      { hop: 'ovs', ok: true, detail: 'bridge ovsbr0: fail_mode secure, 7 port(s) present', checks: [] },
      { hop: 'gateway', ok: false, detail: 'check failed: connect ENOENT', checks: [{ name: 'gateway.check', ok: false, detail: 'connect ENOENT /var/run/wireguard/wg0.sock' }] },
    ],
    protections: [
      { id: 'miss-drop', name: 'table-miss drop', requestedBy: 'x', status: 'enforced', cookies: ['0x1'] },
      { id: 'padding', name: 'packet padding', requestedBy: 'x', status: 'unavailable', reason: 'OpenFlow cannot pad' },
      { id: 'mimic', name: 'protocol mimicry', requestedBy: 'x', status: 'delegated', hop: 'xray (vless-reality-vision)' },
    ],
    capabilities: { macRotation: { available: false, reason: 'ports internal_100 are outside ovs-vswitchd\'s view' } },
  };
  const out = renderStatus(s).split('\n');
  t.is(out[0], 'status: NOT healthy (gateway failed)');
  t.regex(out[1]!, /^ok   ovs /);
  t.regex(out[2]!, /^FAIL gateway +check failed: connect ENOENT/);
  t.regex(out[3]!, /gateway\.check: connect ENOENT \/var\/run/);
  t.true(out.some((l) => /enforced +table-miss drop$/.test(l)));
  t.true(out.some((l) => /UNAVAILABLE packet padding — OpenFlow cannot pad/.test(l)));
  t.true(out.some((l) => /delegated +protocol mimicry \(by xray/.test(l)));
  t.is(out.at(-1), "MAC rotation: UNAVAILABLE — ports internal_100 are outside ovs-vswitchd's view");
  const healthy = renderStatus({ ...s, ok: true, hops: [s.hops[0]!], protections: [], capabilities: { macRotation: { available: true } } });
  t.is(healthy, 'status: every hop healthy\nok   ovs      bridge ovsbr0: fail_mode secure, 7 port(s) present');
  // The MACs in force and the last rotation are shown (not secret); a pending rotation is named.
  const rotated = renderStatus({ ...s, ok: true, hops: [s.hops[0]!], protections: [], capabilities: { macRotation: { available: true, lastRotation: '2026-11-30T00:00:00.000Z', macs: { internal_100: '02:aa:bb:cc:dd:ee' }, pending: 'rotation #3 started x did not finish' } } });
  t.deepEqual(rotated.split('\n').slice(2), [
    'MAC rotation: available; last rotated 2026-11-30T00:00:00.000Z',
    'MAC rotation: PENDING — rotation #3 started x did not finish',
    'MACs in force: internal_100 02:aa:bb:cc:dd:ee',
  ]);
});
