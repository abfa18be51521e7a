/**
 * planNetTeardown on the fake network stack: after the WARP guard (chains, rules in four
 * tables, policy rules v4+v6, blackhole routes) was reconciled onto a node that has its own
 * firewall, rules and routes, the teardown restores exactly the node's own state, and a
 * second teardown plans nothing.
 */
import test from 'ava';
import { applyNet, observeNet, reconcileNet } from '../../../src/net/reconcile.js';
import { planNetTeardown, routeDelArgv } from '../../../src/net/removal.js';
import { warpGuardNet, type WarpGuardSpec } from '../../../src/warp/node-spec.js';
import { emptyNetState, fakeNet, type NetState } from '../../helpers/fake-net.js';

const SPEC: WarpGuardSpec = {
  tunnel: 'wgcf', warpIf: 'warp0', routeTable: 51820, rulePref: 5077,
  chain4: { cidr: '10.77.0.0/24', address: '10.77.0.1/24' }, chain6: { cidr: 'fd77::/64', address: 'fd77::1/64' }, chainMtu: 1420, listenPort: 24080,
};

function node(): NetState {
  const s = emptyNetState({ warp0: { up: false, mtu: 1500, addrs: [] } });
  s.chains.get('4/filter/FORWARD')!.lines.push('-i vmbr0 -j ACCEPT');
  s.chains.get('6/filter/INPUT')!.lines.push('-i vmbr0 -p tcp -m tcp --dport 22 -j ACCEPT');
  s.chains.get('4/nat/POSTROUTING')!.lines.push('-s 192.168.1.0/24 -o vmbr0 -j MASQUERADE');
  s.rules[4].push({ priority: 6000, src: '192.0.2.0/24', table: '100' });
  s.routes.set('4/100', [{ dst: '198.51.100.0/24', gateway: '192.0.2.2' }]);
  return s;
}

/** The state minus what the teardown leaves on purpose: links (OVS ports) and the emptied tables' keys. */
const comparable = (s: NetState) => ({
  chains: [...s.chains].filter(([, c]) => c.builtin || c.lines.length).map(([k, c]) => [k, c.policy, c.lines]),
  rules: s.rules,
  routes: [...s.routes].filter(([, r]) => r.length),
});

test('teardown: the guard goes (rules, chains, policy rules, blackholes); the node\'s own state stays; a second plans nothing', async (t) => {
  const exec = fakeNet(node());
  const d = warpGuardNet(SPEC);
  await reconcileNet(exec, d);
  t.true(exec.state.chains.has('6/filter/PRIVROUTE-WARP'));
  t.is(exec.state.rules[6].length, 1);
  const plan = planNetTeardown(d, await observeNet(exec, d));
  // Netfilter first, then the policy rules, then the routes.
  const kinds = plan.map((c) => (c.argv[0] === 'ip' ? c.argv[2] : 'nf'));
  t.deepEqual(kinds, [...kinds.filter((k) => k === 'nf'), 'rule', 'rule', 'route', 'route']);
  await applyNet(exec, plan);
  t.deepEqual(comparable(exec.state), comparable(node()));
  t.deepEqual(planNetTeardown(d, await observeNet(exec, d)), []);
});

test('teardown: a stale rule of ours at our priority (an older route_table) goes too; another priority stays', async (t) => {
  const s = node();
  s.rules[4].push({ priority: 5077, iif: 'warp0', table: '100' });
  const exec = fakeNet(s);
  const d = warpGuardNet(SPEC);
  await applyNet(exec, planNetTeardown(d, await observeNet(exec, d)));
  t.deepEqual(exec.state.rules[4], [{ priority: 6000, src: '192.0.2.0/24', table: '100' }]);
});

test('routeDelArgv: the exact route (type, metric, table)', (t) => {
  t.deepEqual(routeDelArgv({ family: 6, table: 51820, dst: 'default', type: 'blackhole', metric: 4294967295 }), ['ip', '-6', 'route', 'del', 'blackhole', 'default', 'metric', '4294967295', 'table', '51820']);
  t.deepEqual(routeDelArgv({ family: 4, table: 'main', dst: '10.0.0.0/8', via: '10.1.1.1', dev: 'eth0' }), ['ip', '-4', 'route', 'del', '10.0.0.0/8', 'via', '10.1.1.1', 'dev', 'eth0', 'table', 'main']);
});
