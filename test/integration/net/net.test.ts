/**
 * The one net reconciler against the real kernel and iptables in a namespace of
 * its own: a first pass converges, a second plans nothing; foreign rules and
 * policies survive; stale owned rules go; uncommented rules of a previous release
 * are replaced; a vanished route is the only thing re-added; drift is seen.
 */
import test from 'ava';
import { Scope, uniquePrefix, createNetns, vethPair } from '../../../src/lab/harness/index.js';
import { netDrift, observeNet, planNet, reconcileNet, applyNet, type NetDesired } from '../../../src/net/reconcile.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('iptables', 'ip6tables'));

const nf: NetDesired = {
  owner: 'test',
  chains: [{ family: 4, table: 'filter', chain: 'PRIVROUTE-TEST' }, { family: 6, table: 'filter', chain: 'PRIVROUTE-TEST' }],
  rules: [
    { family: 4, table: 'filter', chain: 'PRIVROUTE-TEST', spec: ['-i', 'e0', '-o', 'e0', '-j', 'ACCEPT'] },
    { family: 4, table: 'filter', chain: 'PRIVROUTE-TEST', spec: ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'] },
    { family: 4, table: 'filter', chain: 'PRIVROUTE-TEST', spec: ['-j', 'DROP'] },
    { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'e0', '-j', 'PRIVROUTE-TEST'] },
    { family: 6, table: 'filter', chain: 'PRIVROUTE-TEST', spec: ['-j', 'DROP'] },
    { family: 6, table: 'filter', chain: 'FORWARD', spec: ['-i', 'e0', '-j', 'PRIVROUTE-TEST'] },
    { family: 4, table: 'nat', chain: 'POSTROUTING', spec: ['-o', 'e0', '-j', 'MASQUERADE'] },
    { family: 4, table: 'mangle', chain: 'FORWARD', spec: ['-o', 'e0', '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu'] },
  ],
  sysctls: [{ key: 'net.ipv4.ip_forward', value: '1' }],
  ipRules: [
    { family: 4, priority: 100, iif: 'e0', from: '10.5.0.7', ipproto: 'udp', sport: 51820, table: 'main' },
    { family: 4, priority: 101, iif: 'e0', table: 51820 },
    { family: 4, priority: 102, from: '10.5.0.0/24', table: 7 },
    { family: 6, priority: 101, iif: 'e0', table: 51820 },
  ],
  routes: [
    { family: 4, table: 51820, dst: 'default', type: 'blackhole', metric: 4294967295 },
    { family: 6, table: 51820, dst: 'default', type: 'unreachable', metric: 4294967295 },
    { family: 4, table: 51820, dst: 'default', dev: 'e0' },
    // No metric asked: the kernel gives IPv6 1024; a converged route must not be replaced on every pass.
    { family: 6, table: 51820, dst: 'default', dev: 'e0' },
    { family: 4, table: 7, dst: '10.9.0.0/16', via: '10.5.0.2' },
  ],
  links: [{ name: 'e0', mtu: 1400, addrs: ['10.5.0.1/24', '10.6.0.1/24'], up: true }],
};

(skip ? test.skip : test.serial)('real kernel: converge, second pass empty, foreign survives, stale and legacy go, drift seen', async (t) => {
  const scope = new Scope(uniquePrefix('nt'));
  try {
    const a = await createNetns(scope, 'a');
    const b = await createNetns(scope, 'b');
    await vethPair(scope, { ns: a.name, name: 'e0', cidr: '10.5.0.1/24' }, { ns: b.name, name: 'e1', cidr: '10.5.0.2/24' });
    // Not ours: must survive every reconcile. And what a previous release left: an uncommented jump.
    await a.run(['iptables', '-w', '-A', 'FORWARD', '-i', 'lo', '-j', 'ACCEPT']);
    await a.run(['iptables', '-w', '-N', 'PRIVROUTE-TEST']);
    await a.run(['iptables', '-w', '-A', 'PRIVROUTE-TEST', '-j', 'DROP']);
    await a.run(['iptables', '-w', '-A', 'FORWARD', '-i', 'e0', '-j', 'PRIVROUTE-TEST']);
    const first = await reconcileNet(a, nf);
    t.true(first.length > 15);
    t.is(first.filter((d) => /pre-ownership/.test(d)).length, 2, 'the uncommented jump and the stray line in the owned chain');
    t.deepEqual(planNet(nf, await observeNet(a, nf)), [], 'a second pass plans nothing');
    const fwd = (await a.run(['iptables', '-w', '-S', 'FORWARD'])).stdout.split('\n');
    t.regex(fwd[1]!, /^-A FORWARD -i e0 -m comment --comment "?privroute\/test:[0-9a-f]{12}"? -j PRIVROUTE-TEST$/, 'ours first');
    t.true(fwd.includes('-A FORWARD -i lo -j ACCEPT'));
    t.is(fwd.filter((l) => l.includes('PRIVROUTE-TEST')).length, 1);
    t.regex(fwd[0]!, /-P FORWARD ACCEPT/, 'the policy is not ours');

    // One rule dropped from the desired set: removed as stale; the foreign one stays.
    const fewer: NetDesired = { ...nf, rules: nf.rules!.filter((r) => r.table !== 'nat') };
    t.deepEqual((await reconcileNet(a, fewer)).map((d) => d.split(' ')[0]), ['remove']);
    t.notRegex((await a.run(['iptables', '-w', '-t', 'nat', '-S', 'POSTROUTING'])).stdout, /MASQUERADE/);

    // A foreign ACCEPT above our jump is drift; a route vanishing is the only thing re-added.
    await a.run(['iptables', '-w', '-I', 'FORWARD', '1', '-i', 'e0', '-j', 'ACCEPT']);
    const drift = netDrift(fewer, await observeNet(a, fewer));
    t.is(drift.length, 1);
    t.regex(drift[0]!, /after a foreign rule \(-A FORWARD -i e0 -j ACCEPT\)/);
    await a.run(['ip', 'route', 'del', 'default', 'dev', 'e0', 'table', '51820']);
    const again = planNet(fewer, await observeNet(a, fewer));
    t.deepEqual(again.map((c) => c.describe), ['route default dev e0 table 51820']);
    await applyNet(a, again);
  } finally {
    await scope.close();
  }
});
