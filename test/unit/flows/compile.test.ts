import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { protections } from '../../../src/flows/protections.js';
import { TABLE } from '../../../src/flows/pipeline.js';
import { flowText } from '../../../src/flows/text.js';
import type { Flow } from '../../../src/ovs/flow.js';
import { seedConfig } from './_seed.js';

const P = 'plugins.privacy_router.openflow';

function inputError(t: import('ava').ExecutionContext, fn: () => unknown, path: string): InputError {
  const e = t.throws(fn, { instanceOf: InputError }) as InputError;
  t.true(e.problems.some((p) => p.path === path), `expected a problem at ${path}, got ${e.problems.map((p) => p.path).join(', ')}`);
  t.is(e.exitCode, 2);
  return e;
}

test('bad input: unknown port name in a privacy flow names the config path', (t) => {
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [{ priority: 100, match_fields: { in_port: 'internal_999' }, actions: ['drop'] }]))), `${P}.privacy_flows[0].match_fields.in_port`);
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [{ priority: 100, match_fields: { in_port: 'warp0' }, actions: ['output:eth9'] }]))), `${P}.privacy_flows[0].actions[0]`);
});

test('bad input: unknown match field (privacy flow and function route)', (t) => {
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [{ priority: 100, match_fields: { in_prot: 'warp0' }, actions: ['drop'] }]))), `${P}.privacy_flows[0].match_fields.in_prot`);
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.function_routing = [{ function: 'x', target_socket: 'internal_200', match_fields: { sctp_dst: '80' } }]))), `${P}.function_routing[0].match_fields.sctp_dst`);
});

test('bad input: duplicate function port names both entries\' path', (t) => {
  const e = inputError(t, () => compilePipeline(seedConfig((r) => void ((r.openflow.function_routing as unknown[]) = [
    { function: 'vector_db', target_socket: 'internal_200', match_fields: { tcp_dst: '8080' } },
    { function: 'bucket_storage', target_socket: 'internal_201', match_fields: { tcp_dst: 8080 } },
  ]))), `${P}.function_routing[1].match_fields.tcp_dst`);
  t.regex(e.message, /function_routing\[0\]\.match_fields\.tcp_dst/);
});

test('bad input: obfuscation level out of range; several problems reported at once', (t) => {
  const e = inputError(t, () => compilePipeline(seedConfig((r) => {
    (r.openflow as { obfuscation_level: number }).obfuscation_level = 4;
    r.openflow.privacy_flows = [{ priority: 100, match_fields: { bogus: 1 }, actions: ['drop'] }];
  })), `${P}.obfuscation_level`);
  t.is(e.problems.length, 2);
});

test('bad input: a privacy socket as function target, an unknown action word', (t) => {
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.function_routing = [{ function: 'x', target_socket: 'internal_100', match_fields: { tcp_dst: 80 } }]))), `${P}.function_routing[0].target_socket`);
  inputError(t, () => compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [{ priority: 100, match_fields: { in_port: 'warp0' }, actions: ['mod_vlan_vid:5'] }]))), `${P}.privacy_flows[0].actions[0]`);
});

test('seed privacy_flows: the gateway→warp0 flow is shadowed (never installed), the others narrowed', (t) => {
  const c = compilePipeline(seedConfig());
  t.deepEqual(c.userFlows.map((u) => u.status), ['shadowed', 'narrowed', 'narrowed']);
  t.regex(c.userFlows[0]!.reason!, /shadowed by chain invariant: internal_100 → warp0 would bypass the XRay hop/);
  t.is(c.userFlows[0]!.flow, undefined);
  const warpMac = c.topology.ports.find((p) => p.name === 'warp0')!.mac;
  t.deepEqual(c.userFlows[2]!.flow!.match, { in_port: 'internal_101', eth_dst: warpMac });
});

/** Walk table 60 (the only output table) and collect every (in_port → output) pair it can produce. */
function outputPairs(flows: readonly Flow[]): Set<string> {
  const pairs = new Set<string>();
  for (const f of flows) {
    for (const a of f.actions) if (a.type === 'output') pairs.add(`${f.match.in_port ?? 'reg0=' + f.match.regs?.[0]?.value}->${a.port}`);
  }
  return pairs;
}

test('the invariant: only table 60 outputs, and only along gateway↔xray↔warp0 and mesh', (t) => {
  // Even with a user flow trying every bypass, the output pairs do not change.
  const c = compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [
    { priority: 500, match_fields: { in_port: 'internal_100' }, actions: ['output:warp0'] },
    { priority: 500, match_fields: { in_port: 'warp0' }, actions: ['output:internal_100'] },
    { priority: 500, match_fields: { in_port: 'internal_101' }, actions: ['output:internal_200'] },
    { priority: 500, match_fields: {}, actions: ['output:warp0'] },
    { priority: 500, match_fields: { in_port: 'internal_100' }, actions: ['normal'] },
  ])));
  t.true(c.flows.every((f) => f.table === TABLE.output || !f.actions.some((a) => a.type === 'output')));
  t.deepEqual([...outputPairs(c.flows)].sort(), [
    'internal_100->internal_101', 'internal_101->internal_100', 'internal_101->warp0',
    'reg0=2->internal_200', 'reg0=2->internal_201', 'reg0=2->nm-privacy',
    'reg0=4->internal_200', 'reg0=4->internal_201', 'reg0=4->nm-privacy',
    'warp0->internal_101',
  ]);
  t.true(c.userFlows.every((u) => u.status === 'shadowed'));
  t.is(c.flows.filter((f) => f.priority === 500).length, 0);
});

test('a drop-only user flow is active and installed at its priority', (t) => {
  const c = compilePipeline(seedConfig((r) => void (r.openflow.privacy_flows = [{ priority: 300, match_fields: { in_port: 'warp0', udp_dst: '53' }, actions: ['drop'] }])));
  t.is(c.userFlows[0]!.status, 'active');
  const f = c.flows.find((x) => x.priority === 300 && x.table === TABLE.privacyChain)!;
  t.is(flowText(f, { cookie: false }), 'table=30, priority=300, in_port=warp0,udp,udp_dst=53 actions=drop');
});

test('function routing applies to mesh classes only, never to privacy sockets', (t) => {
  const c = compilePipeline(seedConfig());
  const fr = c.flows.filter((f) => f.table === TABLE.functionRouting && f.match.tcp_dst !== undefined);
  t.is(fr.length, 4);
  t.deepEqual([...new Set(fr.map((f) => f.match.regs?.[0]?.value))].sort(), [2, 4]);
  // Table 20 sends privacy (1), warp0 (3) and access (5) classes to the chain, never to function routing.
  const toFn = c.flows.filter((f) => f.table === TABLE.conntrack && f.gotoTable === TABLE.functionRouting).map((f) => f.match.regs?.[0]?.value);
  t.deepEqual(toFn.sort(), [2, 4]);
});

test('protections: enforced ones carry cookies of installed flows; padding/timing never enforced', (t) => {
  const cfg = seedConfig((r) => void (r.openflow.obfuscation_level = 3));
  const c = compilePipeline(cfg);
  const ps = protections(cfg, c);
  const cookies = new Set(c.flows.map((f) => '0x' + f.cookie.toString(16).padStart(16, '0')));
  for (const p of ps.filter((x) => x.status === 'enforced')) {
    t.true(p.cookies!.length > 0, p.id);
    t.true(p.cookies!.every((k) => cookies.has(k)), p.id);
  }
  const by = Object.fromEntries(ps.map((p) => [p.id, p.status]));
  t.is(by['ttl-normalization'], 'enforced');
  t.is(by['mac-rewrite'], 'enforced');
  t.is(by['timing'], 'unavailable');
  t.is(by['traffic-morphing'], 'unavailable');
  t.is(by['decoy-traffic'], 'unavailable');
  // Engines not verified: Vision padding / REALITY are NOT claimed.
  t.is(by['padding'], 'unavailable');
  t.is(by['protocol-mimicry'], 'unavailable');
  const xray = { kind: 'xray' as const, version: '25.3.6', binary: 'xray', banner: 'Xray 25.3.6' };
  const withFacts = Object.fromEntries(protections(cfg, c, { clientEngine: xray, serverEngine: xray }).map((p) => [p.id, p.status]));
  t.is(withFacts['padding'], 'delegated');
  const v2ray = { kind: 'v2ray' as const, version: '4.34.0', binary: 'v2ray', banner: 'V2Ray 4.34.0' };
  t.is(Object.fromEntries(protections(cfg, c, { clientEngine: xray, serverEngine: v2ray }).map((p) => [p.id, p.status]))['padding'], 'unavailable');
});

test('protections follow the config: level 0 + security off lists only the always-on invariants', (t) => {
  const cfg = seedConfig((r) => {
    r.openflow.obfuscation_level = 0;
    r.openflow.enable_security_flows = false;
  });
  t.deepEqual(protections(cfg, compilePipeline(cfg)).map((p) => p.id), ['miss-drop', 'chain-invariant', 'isolation']);
});

test('a disabled hop removes its edges: xray off means the gateway reaches nothing (fail closed)', (t) => {
  const c = compilePipeline(seedConfig((r) => {
    r.xray.enabled = false;
    r.socket_networking = { ...r.socket_networking, privacy_sockets: r.socket_networking.privacy_sockets.filter((s) => s.name !== 'internal_101') };
    r.openflow.privacy_flows = [];
  }));
  t.false(c.flows.some((f) => f.actions.some((a) => a.type === 'output' && (a.port === 'warp0' || f.match.in_port === 'internal_100'))));
});

test('access port (lab/bare metal): may reach only the gateway, and only ARP, ICMP and UDP to listen_port', async (t) => {
  const { addressPlan } = await import('../../../src/topology/addressing.js');
  const cfg = seedConfig();
  const c = compilePipeline(cfg, { topology: addressPlan(cfg, { accessPort: 'prclient' }) });
  const toGw = c.flows.filter((f) => f.table === TABLE.output && f.match.in_port === 'prclient');
  t.true(toGw.length > 0);
  t.true(toGw.every((f) => f.actions.length === 1 && f.actions[0]!.type === 'output' && f.actions[0]!.port === 'internal_100'));
  const l4 = new Set(toGw.map((f) => `${f.match.eth_type}/${f.match.ip_proto ?? ''}/${f.match.udp_dst ?? ''}`));
  t.deepEqual([...l4].sort(), ['2048/1/', '2048/17/51820', '2054//']);
  // New connections from the access port are committed only towards the gateway's service.
  const commits = c.flows.filter((f) => f.table === TABLE.ctState && f.match.in_port === 'prclient');
  t.true(commits.every((f) => f.match.eth_dst === c.topology.ports.find((p) => p.name === 'internal_100')!.mac));
  t.false(c.flows.some((f) => f.table === TABLE.output && f.match.in_port === 'prclient' && f.actions.some((a) => a.type === 'output' && a.port !== 'internal_100')));
});

test('IPv6 chain: ND multicast is flooded to neighbours only, anti-spoof allows own and link-local sources', (t) => {
  const c = compilePipeline(seedConfig((r) => void (r.chain_network = { ...r.chain_network, subnet6: 'fd77::/64' })));
  const nd = c.flows.filter((f) => f.table === TABLE.privacyChain && f.match.eth_dst === '33:33:00:00:00:00/ff:ff:00:00:00:00');
  t.is(nd.length, 3);
  const gwNd = nd.find((f) => f.match.in_port === 'internal_100')!;
  t.deepEqual(gwNd.actions.filter((a) => a.type === 'set_field').map((a) => (a as { value: number }).value), [101]);
  const v6src = c.flows.filter((f) => f.table === TABLE.security && f.match.in_port === 'internal_101' && f.match.ipv6_src).map((f) => f.match.ipv6_src);
  t.deepEqual([...new Set(v6src)].sort(), ['fd77::65', 'fe80::/10']);
});

test('IPv6 chain with an ingress: NS/NA skip conntrack (it marks them invalid), the ingress may solicit the gateway, nothing else bypasses', async (t) => {
  const { applianceTopology } = await import('../../../src/topology/topology.js');
  const cfg = seedConfig((r) => {
    r.chain_network = { ...r.chain_network, subnet6: 'fd77::/64' };
    r.wireguard = { ...r.wireguard, uplink: 'vmbr0' };
  });
  const c = compilePipeline(cfg, { topology: applianceTopology(cfg, null) });
  const bypass = c.flows.filter((f) => f.table === TABLE.conntrack && f.gotoTable === TABLE.privacyChain && f.match.eth_type === 0x86dd);
  // Only ND with hop limit 255 (never routed), per chain source class.
  t.true(bypass.length > 0);
  for (const f of bypass) {
    t.is(f.match.ip_proto, 58);
    t.true(f.match.icmpv6_type === 135 || f.match.icmpv6_type === 136, flowText(f));
    t.is(f.match.nw_ttl, 255);
  }
  const ingress = c.flows.filter((f) => f.table === TABLE.security && f.match.in_port === 'prv-ingress' && f.match.eth_type === 0x86dd && f.gotoTable !== undefined);
  const pairs = [...new Set(ingress.map((f) => `${f.match.ipv6_src ?? '*'}>${f.match.ipv6_dst ?? '*'}`))].sort();
  t.deepEqual(pairs, ['fd77::3>fd77::64', 'fd77::3>ff02::1:ff00:0/104', 'fe80::/10>*']);
  // Without chain IPv6 there is no bypass.
  const cfg4 = seedConfig((r) => void (r.wireguard = { ...r.wireguard, uplink: 'vmbr0' }));
  const v4 = compilePipeline(cfg4, { topology: applianceTopology(cfg4, null) });
  t.is(v4.flows.filter((f) => f.match.icmpv6_type !== undefined && f.table === TABLE.conntrack).length, 0);
});
