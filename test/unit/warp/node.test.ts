/**
 * The WARP hop's reconcile against a fake node that models state: converges in
 * one apply, a second apply changes nothing, the fail-closed order holds, and a
 * wireguard-go restart gets its key, peer and default route back.
 */
import test from 'ava';
import { PreconditionError } from '../../../src/core/errors.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { applyWarpNode, planWarpNode, type WarpNodeDeps } from '../../../src/warp/node.js';
import { desiredFirewall, warpNodeSpecFromConfig, RULE_COMMENT } from '../../../src/warp/node-spec.js';
import { tunnelModelFromDevice } from '../../../src/warp/profile.js';
import { probeWarpPreconditions, requireWarpPreconditions } from '../../../src/warp/preconditions.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import { configWith, device } from './_helpers.js';
import { fakeNode } from './_fake-node.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const cfg = configWith({ tunnel_interface: 'wgwarp', route_table: 51820 });
const spec = (d = device()) => warpNodeSpecFromConfig(cfg, applianceTopology(cfg, null), tunnelModelFromDevice(d, { hostHasIpv6: false, backend: 'wireguard-go' }));

function deps(n: ReturnType<typeof fakeNode>, privateKey: string, s = spec()): WarpNodeDeps {
  return { exec: n.exec, wg: n.wg, spec: s, privateKey, skipPreconditions: true, resolve: async (e) => e };
}

test('spec: warp0 takes chain .1, the tunnel is the configured name, table from config', (t) => {
  const s = spec();
  t.is(s.warpIf, 'warp0');
  t.is(s.tunnel, 'wgwarp');
  t.is(s.routeTable, 51820);
  t.is(s.chain4.address, '10.77.0.1/24');
  t.is(s.chain4.cidr, '10.77.0.0/24');
  t.is(s.model.mtu, 1280);
});

test('first apply converges the node; a second apply changes nothing', async (t) => {
  const n = fakeNode();
  const key = generateKeyPair().privateKey;
  const first = await applyWarpNode(deps(n, key));
  t.true(first.length > 10);
  const st = n.state;
  t.deepEqual(st.policy, { 4: 'DROP', 6: 'DROP' });
  t.deepEqual(st.rules[4], ['warp0/51820/5077']);
  t.deepEqual(st.rules[6], ['warp0/51820/5077']);
  t.deepEqual(st.routes[4].sort(), ['blackhole', 'dev:wgwarp']);
  t.deepEqual(st.routes[6].sort(), ['blackhole', 'dev:wgwarp']);
  t.deepEqual(st.links.get('wgwarp'), { up: true, mtu: 1280, addrs: ['172.16.0.2/32', 'fd01:5741::2/128'] });
  t.deepEqual(st.links.get('warp0')!.addrs, ['10.77.0.1/24']);
  t.true(st.links.get('warp0')!.up);
  t.is(st.sysctl['net.ipv4.ip_forward'], '1');
  t.is(st.sysctl['net.ipv6.conf.all.forwarding'], '0', 'no chain IPv6 subnet: v6 forwarding untouched');
  // iptables: accepts then drops, in order; masquerade only out the tunnel; MSS clamp.
  const c = `-m comment --comment ${RULE_COMMENT}`;
  t.deepEqual(st.fw.get('4/filter/FORWARD'), [
    `-i warp0 -o wgwarp -s 10.77.0.0/24 ${c} -j ACCEPT`,
    `-i wgwarp -o warp0 -d 10.77.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED ${c} -j ACCEPT`,
    `-i warp0 ${c} -j DROP`,
    `-o warp0 ${c} -j DROP`,
  ]);
  t.deepEqual(st.fw.get('4/nat/POSTROUTING'), [`-s 10.77.0.0/24 -o wgwarp ${c} -j MASQUERADE`]);
  t.deepEqual(st.fw.get('4/mangle/FORWARD'), [`-o wgwarp -p tcp --tcp-flags SYN,RST SYN ${c} -j TCPMSS --clamp-mss-to-pmtu`]);
  t.deepEqual(st.fw.get('6/filter/FORWARD'), [`-i warp0 ${c} -j DROP`, `-o warp0 ${c} -j DROP`], 'IPv6: nothing accepted without a chain v6 subnet');
  t.is(st.fw.get('6/nat/POSTROUTING'), undefined);
  // UAPI: key and peer in one set.
  t.is(n.wg.sets.length, 1);
  t.is(n.wg.sets[0]!.privateKey, key);
  t.true(n.wg.sets[0]!.replacePeers);
  t.is(n.wg.sets[0]!.peers![0]!.endpoint, '162.159.192.1:2408');

  const runsBefore = n.exec.runs().length;
  t.deepEqual(await applyWarpNode(deps(n, key)), []);
  const writes = n.exec.runs().slice(runsBefore).filter((a) => a.includes('add') || a.includes('-I') || a.includes('-P') || a.includes('-w') && a[0] === 'sysctl');
  t.deepEqual(writes, [], 'the second run only observes');
  t.is(n.wg.sets.length, 1);
  t.deepEqual(n.exec.unexpected, []);
});

test('fail-closed order: firewall and blackhole before the tunnel, forwarding last', async (t) => {
  const changes = await planWarpNode(deps(fakeNode(), generateKeyPair().privateKey));
  const idx = (re: RegExp) => changes.findIndex((c) => re.test(c.describe));
  const lastFw = Math.max(...changes.map((c, i) => (c.kind === 'run' && /tables$/.test(c.argv[0]!) ? i : -1)));
  t.true(idx(/FORWARD policy DROP/) === 0);
  t.true(lastFw < idx(/rule iif warp0/));
  t.true(idx(/route blackhole/) < idx(/start wireguard-go/));
  t.true(idx(/start wireguard-go/) < idx(/set wgwarp key/));
  t.true(idx(/set wgwarp key/) < idx(/route default dev wgwarp/));
  t.is(idx(/ip_forward/), changes.length - 1);
});

test('wireguard-go dying: apply restarts it and re-adds key, peer and the default route', async (t) => {
  const n = fakeNode();
  const key = generateKeyPair().privateKey;
  await applyWarpNode(deps(n, key));
  n.killTunnel('wgwarp');
  t.deepEqual(n.state.routes[4], ['blackhole'], 'only the blackhole is left: chain traffic is dropped, not routed');
  const again = await applyWarpNode(deps(n, key));
  t.deepEqual(again.filter((d) => /wireguard-go|set wgwarp|route default/.test(d)).length, 4);
  t.deepEqual(n.state.routes[4].sort(), ['blackhole', 'dev:wgwarp']);
  t.is(n.wg.dev!.privateKey, key);
  t.false(again.some((d) => /iptables|blackhole|rule iif/.test(d)), 'firewall untouched');
});

test('a rotated device is taken over in place: one UAPI set, new address added before the old one is deleted', async (t) => {
  const n = fakeNode();
  await applyWarpNode(deps(n, generateKeyPair().privateKey));
  const key2 = generateKeyPair().privateKey;
  const d2 = device({ v4: '172.16.0.9', v6: 'fd01:5741::9' });
  const changes = await applyWarpNode(deps(n, key2, spec(d2)));
  t.deepEqual(changes, [
    'set wgwarp key + peer ' + d2.config.peers[0]!.public_key.slice(0, 8) + '… endpoint 162.159.192.1:2408',
    'wgwarp add address 172.16.0.9/32',
    'wgwarp add address fd01:5741::9/128',
    'wgwarp delete stale address 172.16.0.2/32',
    'wgwarp delete stale address fd01:5741::2/128',
  ]);
  t.is(n.wg.sets.length, 2);
  t.is(n.wg.dev!.privateKey, key2);
});

test('a missing warp0 is a precondition error naming the OVS component', async (t) => {
  const n = fakeNode({ warpIf: null });
  const e = await t.throwsAsync(applyWarpNode(deps(n, generateKeyPair().privateKey)), { instanceOf: PreconditionError });
  t.regex(e!.message, /warp0 does not exist on fake-node/);
  t.regex(e!.hint!, /OVS internal port/);
});

test('with a chain IPv6 subnet, IPv6 gets the same accept/masquerade/clamp treatment and forwarding', async (t) => {
  const c6 = configWith({}, { subnet6: 'fd77::/64' });
  const s = warpNodeSpecFromConfig(c6, applianceTopology(c6, null), tunnelModelFromDevice(device(), { hostHasIpv6: false, backend: 'wireguard-go' }));
  t.truthy(s.chain6);
  const rules = desiredFirewall(s).filter((r) => r.family === 6);
  t.is(rules.length, 6);
  const n = fakeNode();
  await applyWarpNode(deps(n, generateKeyPair().privateKey, s));
  t.is(n.state.sysctl['net.ipv6.conf.all.forwarding'], '1');
  t.is(n.state.fw.get('6/nat/POSTROUTING')!.length, 1);
  t.true(n.state.links.get('warp0')!.addrs.some((a) => a.startsWith('fd77::')));
});

test('preconditions: missing /dev/net/tun and missing wireguard-go are errors that say the fix', async (t) => {
  const noTun = new FakeHostExec({ target: 'node' })
    .on(['test', '-c', '/dev/net/tun'], () => ({ code: 1 }))
    .on(['test', '-d', '/sys/module/wireguard'], () => ({ code: 1 }))
    .on(['wireguard-go', '--version'], () => 'wireguard-go v0.0.20220316\n');
  const p1 = await probeWarpPreconditions(noTun);
  const e1 = t.throws(() => requireWarpPreconditions(p1, 'node'), { instanceOf: PreconditionError });
  t.regex(e1!.message, /\/dev\/net\/tun is missing on node/);
  t.regex(e1!.hint!, /pct set <id> --dev0 \/dev\/net\/tun/);

  const noWg = new FakeHostExec({ target: 'node' })
    .on(['test', '-c', '/dev/net/tun'], () => ({ code: 0 }))
    .on(['test', '-d', '/sys/module/wireguard'], () => ({ code: 1 }))
    .on(['wireguard-go', '--version'], () => ({ code: 127, stderr: 'not found' }));
  const p2 = await probeWarpPreconditions(noWg);
  t.is(p2.wireguardGo, null);
  const e2 = t.throws(() => requireWarpPreconditions(p2, 'node'), { instanceOf: PreconditionError });
  t.regex(e2!.message, /no usable WireGuard implementation on node/);
  t.regex(e2!.hint!, /apt install wireguard-go/);

  const ok = new FakeHostExec({ target: 'node' })
    .on(['test', '-c', '/dev/net/tun'], () => ({ code: 0 }))
    .on(['test', '-d', '/sys/module/wireguard'], () => ({ code: 1 }))
    .on(['wireguard-go', '--version'], () => 'wireguard-go v0.0.20220316\n');
  t.notThrows(() => requireWarpPreconditions({ tun: true, wireguardGo: 'v0.0.20220316', kernelWireguard: false }, 'node'));
  t.is((await probeWarpPreconditions(ok)).wireguardGo, 'v0.0.20220316');
});
