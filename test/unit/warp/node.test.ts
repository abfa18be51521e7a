/**
 * The WARP hop's reconcile against a fake node that models state: converges in
 * one apply, a second apply changes nothing, the fail-closed order holds, and a
 * wireguard-go restart gets its key, peer and default route back.
 */
import test from 'ava';
import { PreconditionError } from '../../../src/core/errors.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { applyWarpNode, planWarpNode, type WarpNodeDeps } from '../../../src/warp/node.js';
import { warpGuardNet, warpNodeSpecFromConfig, warpSocketNet, LEGACY_RULE_COMMENT, WARP_CHAIN } from '../../../src/warp/node-spec.js';
import { ruleId } from '../../../src/net/netfilter.js';
import { tunnelModelFromDevice } from '../../../src/warp/profile.js';
import { probeWarpPreconditions, requireWarpPreconditions } from '../../../src/warp/preconditions.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import { configWith, device } from './_helpers.js';
import { fakeNode, routesOf } from './_fake-node.js';
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
  t.deepEqual([st.chains.get('4/filter/FORWARD')!.policy, st.chains.get('6/filter/FORWARD')!.policy], ['ACCEPT', 'ACCEPT'], 'the host-wide FORWARD policy is not ours');
  t.deepEqual(st.rules[4], [{ priority: 5077, iif: 'warp0', table: '51820' }]);
  t.deepEqual(st.rules[6], [{ priority: 5077, iif: 'warp0', table: '51820' }]);
  t.deepEqual(routesOf(st, 4, 51820), ['blackhole', 'dev:wgwarp']);
  t.deepEqual(routesOf(st, 6, 51820), ['blackhole', 'dev:wgwarp']);
  t.deepEqual(st.links.get('wgwarp'), { up: true, mtu: 1280, addrs: ['172.16.0.2/32', 'fd01:5741::2/128'] });
  t.deepEqual(st.links.get('warp0')!.addrs, ['10.77.0.1/24']);
  t.true(st.links.get('warp0')!.up);
  t.is(st.sysctl['net.ipv4.ip_forward'], '1');
  t.is(st.sysctl['net.ipv6.conf.all.forwarding'], '0', 'no chain IPv6 subnet: v6 forwarding untouched');
  // iptables: FORWARD jumps only for warp0 and the tunnel; in the chain accepts then a drop; masquerade only out the tunnel; MSS clamp.
  const bare = (k: string) => st.chains.get(k)!.lines.map((l) => l.replace(/ -m comment --comment privroute\/warp:[0-9a-f]{12}$/, ''));
  t.deepEqual(bare('4/filter/FORWARD'), [`-i warp0 -j ${WARP_CHAIN}`, `-i wgwarp -j ${WARP_CHAIN}`, `-o warp0 -j ${WARP_CHAIN}`, `-o wgwarp -j ${WARP_CHAIN}`]);
  t.deepEqual(bare(`4/filter/${WARP_CHAIN}`), [
    '-i warp0 -o wgwarp -s 10.77.0.0/24 -j ACCEPT',
    '-i wgwarp -o warp0 -d 10.77.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-j DROP',
  ]);
  t.deepEqual(bare('4/filter/INPUT'), [
    // The tunnel's pinned port answers as closed to all but the edge (issue 13: an uplink scan finds it closed).
    '! -s 162.159.192.1/32 -p udp -m udp --dport 24080 -j REJECT --reject-with icmp-port-unreachable -m comment --comment privroute/warp-socket:' + ruleId(warpSocketNet(24080, '162.159.192.1:2408').rules![0]!),
    '-i warp0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-i warp0 -j DROP',
  ], 'the node is no destination from warp0');
  t.is(bare('6/filter/INPUT')[0], '-p udp -m udp --dport 24080 -j REJECT --reject-with icmp6-port-unreachable -m comment --comment privroute/warp-socket:' + ruleId(warpSocketNet(24080, '162.159.192.1:2408').rules![1]!), 'an IPv4 edge: no IPv6 source is the edge');
  t.deepEqual(bare('4/nat/POSTROUTING'), ['-s 10.77.0.0/24 -o wgwarp -j MASQUERADE']);
  t.deepEqual(bare('4/mangle/FORWARD'), ['-o wgwarp -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu']);
  t.deepEqual(bare(`6/filter/${WARP_CHAIN}`), ['-j DROP'], 'IPv6: nothing accepted without a chain v6 subnet');
  t.deepEqual(bare('6/nat/POSTROUTING'), []);
  // UAPI: key and peer in one set.
  t.is(n.wg.sets.length, 1);
  t.is(n.wg.sets[0]!.privateKey, key);
  t.is(n.wg.sets[0]!.listenPort, 24080, 'the port is pinned (warp.listen_port), not kernel-chosen');
  t.true(n.wg.sets[0]!.replacePeers);
  const op = n.wg.sets[0]!.peers![0]!;
  t.is(op.kind === 'upsert' ? op.peer.endpoint : undefined, '162.159.192.1:2408');

  const runsBefore = n.exec.runs().length;
  t.deepEqual(await applyWarpNode(deps(n, key)), []);
  const writes = n.exec.runs().slice(runsBefore).filter((a) => ['add', 'replace', 'del', '-I', '-D', '-P', '-N', 'set'].some((x) => a.includes(x)) || (a[0] === 'sysctl' && a.includes('-w')));
  t.deepEqual(writes, [], 'the second run only observes');
  t.is(n.wg.sets.length, 1);
  t.deepEqual(n.exec.unexpected, []);
});

test('fail-closed order: firewall, rule and blackhole before the tunnel, forwarding last', async (t) => {
  const changes = await planWarpNode(deps(fakeNode(), generateKeyPair().privateKey));
  const idx = (re: RegExp) => changes.findIndex((c) => re.test(c.describe));
  const guardFw = (c: (typeof changes)[number]) => c.kind === 'net' && /tables$/.test(c.argv[0]!) && !c.argv.join(' ').includes('warp-socket');
  const lastFw = Math.max(...changes.map((c, i) => (guardFw(c) ? i : -1)));
  t.is(idx(/create chain/), 0);
  t.true(idx(/PRIVROUTE-WARP -j DROP/) < idx(/FORWARD -i warp0 -j PRIVROUTE-WARP/), 'the chain drops before anything jumps into it');
  t.true(lastFw < idx(/rule priority 5077 iif warp0/));
  t.true(idx(/blackhole/) < idx(/rule priority 5077 iif warp0/));
  t.true(idx(/rule priority 5077/) < idx(/start wireguard-go/));
  t.true(idx(/--dport 24080 -j REJECT/) < idx(/start wireguard-go/), 'the tunnel port is closed to strangers before wireguard-go binds it');
  t.true(idx(/start wireguard-go/) < idx(/set wgwarp key/));
  t.true(idx(/set wgwarp key/) < idx(/route default dev wgwarp/));
  t.is(idx(/ip_forward/), changes.length - 1);
  t.false(changes.some((c) => /policy/.test(c.describe)), 'no host-wide policy on a fresh node');
});

test('wireguard-go dying: apply restarts it and re-adds key, peer and the default route', async (t) => {
  const n = fakeNode();
  const key = generateKeyPair().privateKey;
  await applyWarpNode(deps(n, key));
  n.killTunnel('wgwarp');
  t.deepEqual(routesOf(n.state, 4, 51820), ['blackhole'], 'only the blackhole is left: chain traffic is dropped, not routed');
  const again = await applyWarpNode(deps(n, key));
  t.deepEqual(again.filter((d) => /wireguard-go|set wgwarp|route (-6 )?default/.test(d)).length, 4);
  t.deepEqual(routesOf(n.state, 4, 51820), ['blackhole', 'dev:wgwarp']);
  t.is(n.wg.dev!.privateKey, key);
  t.false(again.some((d) => /iptables|blackhole|rule /.test(d)), 'firewall untouched');
});

test('a rotated device is taken over in place: one UAPI set, new address added before the old one is deleted', async (t) => {
  const n = fakeNode();
  await applyWarpNode(deps(n, generateKeyPair().privateKey));
  const key2 = generateKeyPair().privateKey;
  const d2 = device({ v4: '172.16.0.9', v6: 'fd01:5741::9' });
  const changes = await applyWarpNode(deps(n, key2, spec(d2)));
  t.deepEqual(changes, [
    'set wgwarp key, port 24080 + peer ' + d2.config.peers[0]!.public_key.slice(0, 8) + '… endpoint 162.159.192.1:2408',
    'wgwarp address 172.16.0.9/32',
    'wgwarp address fd01:5741::9/128',
    'wgwarp remove stale address 172.16.0.2/32',
    'wgwarp remove stale address fd01:5741::2/128',
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
  const rules = warpGuardNet(s).rules!.filter((r) => r.family === 6);
  t.is(rules.length, 13, 'chain: 2 accepts + drop; 4 jumps; INPUT: replies, 2 ND, drop; clamp; masquerade');
  const n = fakeNode();
  await applyWarpNode(deps(n, generateKeyPair().privateKey, s));
  t.is(n.state.sysctl['net.ipv6.conf.all.forwarding'], '1');
  t.is(n.state.chains.get('6/nat/POSTROUTING')!.lines.length, 1);
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

test('upgrade from the previous release: its comment-marked rules and host-wide FORWARD DROP are replaced add-first', async (t) => {
  const n = fakeNode();
  const key = generateKeyPair().privateKey;
  // What the previous release left on a converged node (its rules, its policy).
  const c = `-m comment --comment ${LEGACY_RULE_COMMENT}`;
  const fwd = n.state.chains.get('4/filter/FORWARD')!;
  fwd.policy = 'DROP';
  fwd.lines.push(`-i warp0 -o wgwarp -s 10.77.0.0/24 ${c} -j ACCEPT`, `-i warp0 ${c} -j DROP`, `-o warp0 ${c} -j DROP`, '-i vmbr1 -j ACCEPT');
  n.state.chains.get('6/filter/FORWARD')!.policy = 'DROP';
  n.state.chains.get('4/nat/POSTROUTING')!.lines.push(`-s 10.77.0.0/24 -o wgwarp ${c} -j MASQUERADE`);
  const plan = await planWarpNode(deps(n, key));
  const firstRemove = plan.findIndex((x) => /pre-ownership/.test(x.describe));
  t.true(firstRemove > plan.findIndex((x) => /FORWARD -o wgwarp -j PRIVROUTE-WARP/.test(x.describe)), 'old rules go only after the new jumps are in');
  t.true(plan.findIndex((x) => /restore iptables FORWARD policy ACCEPT/.test(x.describe)) < firstRemove, 'the policy is restored while the old rules still prove who set it');
  await applyWarpNode(deps(n, key));
  t.is(fwd.policy, 'ACCEPT');
  t.is(n.state.chains.get('6/filter/FORWARD')!.policy, 'ACCEPT');
  t.false([...n.state.chains.values()].some((ch) => ch.lines.some((l) => l.includes(LEGACY_RULE_COMMENT))));
  t.true(fwd.lines.includes('-i vmbr1 -j ACCEPT'), 'a foreign rule survives');
  t.is(fwd.lines[0], `-i warp0 -j PRIVROUTE-WARP -m comment --comment privroute/warp:${ruleId(warpGuardNet(spec()).rules!.find((r) => r.chain === 'FORWARD')!)}`);
  t.deepEqual(await applyWarpNode(deps(n, key)), [], 'a second run changes nothing');
});

test('the tunnel port follows the edge: a new edge address replaces the old exception; an IPv6 edge is the IPv6 exception', async (t) => {
  const n = fakeNode();
  const key = generateKeyPair().privateKey;
  await applyWarpNode(deps(n, key));
  const moved: WarpNodeDeps = { ...deps(n, key), resolve: async () => '162.159.193.7:2408' };
  const changes = await applyWarpNode(moved);
  t.true(changes.some((d) => /! -s 162\.159\.193\.7\/32 .*--dport 24080 -j REJECT/.test(d)), changes.join('\n'));
  t.true(changes.some((d) => /remove stale .*162\.159\.192\.1\/32/.test(d)), 'the old edge loses its exception');
  const v4 = n.state.chains.get('4/filter/INPUT')!.lines.filter((l) => l.includes('warp-socket'));
  t.is(v4.length, 1);
  t.deepEqual(await applyWarpNode(moved), [], 'converged');
  const six = warpSocketNet(24080, '[2606:4700:d0::a29f:c001]:2408').rules!;
  t.deepEqual(six.map((r) => [r.family, r.spec.slice(0, 3).join(' ')]), [[4, '-p udp -m'], [6, '! -s 2606:4700:d0::a29f:c001/128']]);
});
