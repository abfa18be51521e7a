/**
 * The one net reconciler against a fake network stack that models state
 * (test/helpers/fake-net.ts): converges in one apply and then plans nothing;
 * owned chains are filled before jumps into them; foreign rules survive; a
 * previous release's uncommented rules are replaced add-first; rule changes add
 * before they delete; drift is reported.
 */
import test from 'ava';
import { applyNet, netDrift, observeNet, planNet, reconcileNet, type NetDesired } from '../../../src/net/reconcile.js';
import { ruleId } from '../../../src/net/netfilter.js';
import { emptyNetState, fakeNet } from '../../helpers/fake-net.js';

const desired: NetDesired = {
  owner: 'hop',
  chains: [{ family: 4, table: 'filter', chain: 'PRIVROUTE-HOP' }],
  rules: [
    { family: 4, table: 'filter', chain: 'PRIVROUTE-HOP', spec: ['-i', 'e0', '-o', 'tun', '-j', 'ACCEPT'] },
    { family: 4, table: 'filter', chain: 'PRIVROUTE-HOP', spec: ['-j', 'DROP'] },
    { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'e0', '-j', 'PRIVROUTE-HOP'] },
  ],
  ipRules: [{ family: 4, priority: 100, iif: 'e0', table: 100 }],
  routes: [
    { family: 4, table: 100, dst: 'default', type: 'blackhole', metric: 4294967295 },
    { family: 4, table: 100, dst: 'default', dev: 'tun' },
  ],
  links: [{ name: 'tun', mtu: 1280, addrs: ['172.16.0.2/32'], up: true, prune: true }],
  sysctls: [{ key: 'net.ipv6.conf.all.forwarding', value: '0' }, { key: 'net.ipv4.ip_forward', value: '1' }],
};

const state = () => emptyNetState({ e0: { up: true, mtu: 1500, addrs: [] }, tun: { up: false, mtu: 1420, addrs: ['172.16.9.9/32'] } });

test('a first pass converges in fail-closed order; a second pass plans nothing', async (t) => {
  const exec = fakeNet(state());
  const plan = planNet(desired, await observeNet(exec, desired));
  const at = (re: RegExp) => plan.findIndex((c) => re.test(c.describe));
  t.true(at(/create chain/) < at(/PRIVROUTE-HOP -i e0 -o tun/), 'chain before its rules');
  t.true(at(/PRIVROUTE-HOP -j DROP/) < at(/FORWARD -i e0 -j PRIVROUTE-HOP/), 'the chain is filled before the jump into it');
  t.true(at(/blackhole/) < at(/rule .*iif e0/), 'the fail-closed route exists before the rule points at its table');
  t.true(at(/rule .*iif e0/) < at(/route .*dev tun/));
  t.true(at(/tun up/) < at(/route .*dev tun/), 'a device route needs its link up');
  t.is(at(/ip_forward=1/), plan.length - 2, 'forwarding on is the last add; only deletes follow');
  t.regex(plan.at(-1)!.describe, /remove stale address 172\.16\.9\.9/);
  await applyNet(exec, plan);
  t.deepEqual(planNet(desired, await observeNet(exec, desired)), []);
  t.deepEqual(exec.state.chains.get('4/filter/FORWARD')!.lines, [`-i e0 -j PRIVROUTE-HOP -m comment --comment privroute/hop:${ruleId(desired.rules![2]!)}`]);
});

test('foreign rules and policies survive; stale rules of this owner go after the new ones are in', async (t) => {
  const s = state();
  s.chains.get('4/filter/FORWARD')!.lines.push('-i lo -j ACCEPT');
  s.chains.get('4/filter/FORWARD')!.policy = 'DROP';
  const exec = fakeNet(s);
  await reconcileNet(exec, desired);
  const moved: NetDesired = { ...desired, rules: [desired.rules![0]!, desired.rules![1]!, { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'e1', '-j', 'PRIVROUTE-HOP'] }] };
  const plan = planNet(moved, await observeNet(exec, moved));
  t.deepEqual(plan.map((c) => c.describe.split(' ')[0]), ['add', 'remove']);
  await applyNet(exec, plan);
  const fwd = exec.state.chains.get('4/filter/FORWARD')!;
  t.is(fwd.policy, 'DROP', 'a policy the hop does not declare is not touched');
  t.is(fwd.lines.length, 2);
  t.regex(fwd.lines[0]!, /^-i e1 -j PRIVROUTE-HOP/);
  t.is(fwd.lines[1], '-i lo -j ACCEPT');
});

test('migration: a previous release\'s uncommented rules, comment-marked rules and jumps are replaced add-first; its policy restored once', async (t) => {
  const s = state();
  const fwd = s.chains.get('4/filter/FORWARD')!;
  fwd.policy = 'DROP';
  fwd.lines.push('-i e0 -o tun -m comment --comment old-hop -j ACCEPT', '-i e0 -j PRIVROUTE-HOP', '-i lo -j ACCEPT');
  s.chains.set('4/filter/PRIVROUTE-HOP', { builtin: false, lines: ['-i e0 -o tun -j ACCEPT'] });
  s.chains.get('4/nat/POSTROUTING')!.lines.push('-o tun -j MASQUERADE');
  const legacy: NetDesired = {
    ...desired,
    rules: [...desired.rules!, { family: 4, table: 'nat', chain: 'POSTROUTING', spec: ['-o', 'tun', '-j', 'MASQUERADE'] }],
    legacy: { comments: ['old-hop'], rules: [{ family: 4, table: 'nat', chain: 'POSTROUTING', spec: ['-o', 'tun', '-j', 'MASQUERADE'] }], restorePolicies: [{ family: 4, table: 'filter', chain: 'FORWARD', policy: 'ACCEPT' }] },
  };
  const exec = fakeNet(s);
  const plan = planNet(legacy, await observeNet(exec, legacy));
  const firstRemove = plan.findIndex((c) => /^remove/.test(c.describe));
  const lastAdd = plan.map((c) => /^add/.test(c.describe)).lastIndexOf(true);
  t.true(lastAdd < firstRemove, 'every add before the first delete');
  t.is(plan.filter((c) => /pre-ownership/.test(c.describe)).length, 4, 'comment-marked, jump, stray in the owned chain, exact legacy rule');
  t.true(plan.some((c) => /restore iptables FORWARD policy ACCEPT/.test(c.describe)));
  await applyNet(exec, plan);
  t.is(exec.state.chains.get('4/filter/FORWARD')!.policy, 'ACCEPT');
  t.deepEqual(exec.state.chains.get('4/filter/FORWARD')!.lines.filter((l) => !l.includes('privroute/hop:')), ['-i lo -j ACCEPT'], 'the foreign rule survives');
  t.deepEqual(exec.state.chains.get('4/nat/POSTROUTING')!.lines.filter((l) => !l.includes('privroute/hop:')), []);
  t.deepEqual(planNet(legacy, await observeNet(exec, legacy)), [], 'converged');
  // Without legacy evidence the policy is never touched again (an admin's DROP stays).
  exec.state.chains.get('4/filter/FORWARD')!.policy = 'DROP';
  t.deepEqual(planNet(legacy, await observeNet(exec, legacy)), []);
});

test('a changed policy rule is added before the old one at its priority is deleted', async (t) => {
  const exec = fakeNet(state());
  await reconcileNet(exec, desired);
  const changed: NetDesired = { ...desired, ipRules: [{ family: 4, priority: 100, iif: 'e1', table: 100 }] };
  const plan = planNet(changed, await observeNet(exec, changed));
  t.deepEqual(plan.map((c) => c.argv.slice(2, 4).join(' ')), ['rule add', 'rule del']);
  await applyNet(exec, plan);
  t.deepEqual(exec.state.rules[4], [{ priority: 100, iif: 'e1', table: '100' }]);
});

test('fresh links are planned bare (a relaunched TUN): address, MTU, up and the route through it', async (t) => {
  const exec = fakeNet(state());
  await reconcileNet(exec, desired);
  const plan = planNet(desired, await observeNet(exec, desired), { fresh: ['tun'] });
  t.deepEqual(plan.map((c) => c.describe), ['tun mtu 1280', 'tun address 172.16.0.2/32', 'tun up', 'route default dev tun table 100']);
});

test('drift: a foreign ACCEPT above our jump, and a missing rule', async (t) => {
  const exec = fakeNet(state());
  await reconcileNet(exec, desired);
  t.deepEqual(netDrift(desired, await observeNet(exec, desired)), []);
  exec.state.chains.get('4/filter/FORWARD')!.lines.unshift('-i e0 -j ACCEPT');
  exec.state.chains.get('4/filter/PRIVROUTE-HOP')!.lines.splice(1, 1);
  const drift = netDrift(desired, await observeNet(exec, desired));
  t.is(drift.length, 2);
  t.regex(drift[0]!, /^missing: iptables -t filter PRIVROUTE-HOP -j DROP/);
  t.regex(drift[1]!, /FORWARD -i e0 -j PRIVROUTE-HOP is after a foreign rule \(-A FORWARD -i e0 -j ACCEPT\)/);
});

test('optional sysctls absent from the kernel are skipped', async (t) => {
  const s = state();
  delete s.sysctl['net.ipv6.conf.all.forwarding'];
  const exec = fakeNet(s);
  const d: NetDesired = { owner: 'hop', sysctls: [{ key: 'net.ipv6.conf.all.forwarding', value: '0', optional: true }] };
  t.deepEqual(planNet(d, await observeNet(exec, d)), []);
});
