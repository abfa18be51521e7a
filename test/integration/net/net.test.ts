import test from 'ava';
import { Scope, uniquePrefix, createNetns, vethPair } from '../../../src/lab/harness/index.js';
import { observeNetfilter, reconcileNetfilter, applyNetfilter, type NfDesired } from '../../../src/net/netfilter.js';
import { observeRouting, reconcileRouting, applyRouting, type RoutingDesired } from '../../../src/net/iproute.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('iptables', 'ip6tables'));

(skip ? test.skip : test.serial)('netfilter and routing reconcile: apply, then a second pass changes nothing; foreign rules survive; stale owned rules go', async (t) => {
  const scope = new Scope(uniquePrefix('nt'));
  try {
    const a = await createNetns(scope, 'a');
    const b = await createNetns(scope, 'b');
    await vethPair(scope, { ns: a.name, name: 'e0', cidr: '10.5.0.1/24' }, { ns: b.name, name: 'e1', cidr: '10.5.0.2/24' });
    // A rule that is not ours must survive every reconcile.
    await a.run(['iptables', '-w', '-A', 'FORWARD', '-i', 'lo', '-j', 'ACCEPT']);
    const nf: NfDesired = {
      owner: 'test',
      policies: [{ family: 4, table: 'filter', chain: 'FORWARD', policy: 'DROP' }, { family: 6, table: 'filter', chain: 'FORWARD', policy: 'DROP' }],
      rules: [
        { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'e0', '-o', 'e0', '-j', 'ACCEPT'] },
        { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'] },
        { family: 4, table: 'nat', chain: 'POSTROUTING', spec: ['-o', 'e0', '-j', 'MASQUERADE'] },
        { family: 4, table: 'mangle', chain: 'FORWARD', spec: ['-o', 'e0', '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu'] },
      ],
    };
    const first = reconcileNetfilter(nf, await observeNetfilter(a, nf));
    t.is(first.filter((c) => c.op === 'add').length, 4);
    t.is(first.filter((c) => c.op === 'policy').length, 2);
    await applyNetfilter(a, 'test', first);
    t.deepEqual(reconcileNetfilter(nf, await observeNetfilter(a, nf)), []);
    // Drop one rule from the desired set: it is removed as stale, the foreign one stays.
    const fewer: NfDesired = { ...nf, rules: nf.rules.slice(1) };
    const prune = reconcileNetfilter(fewer, await observeNetfilter(a, fewer));
    t.deepEqual(prune.map((c) => c.op), ['delete']);
    await applyNetfilter(a, 'test', prune);
    const listing = (await a.run(['iptables', '-w', '-S', 'FORWARD'])).stdout;
    t.regex(listing, /-A FORWARD -i lo -j ACCEPT/);
    t.notRegex(listing, /-i e0 -o e0/);
    t.regex(listing, /-P FORWARD DROP/);

    const rt: RoutingDesired = {
      sysctls: [{ key: 'net.ipv4.ip_forward', value: '1' }],
      rules: [
        { family: 4, priority: 100, iif: 'e0', from: '10.5.0.7', ipproto: 'udp', sport: 51820, table: 'main' },
        { family: 4, priority: 101, iif: 'e0', table: 51820 },
        { family: 4, priority: 102, from: '10.5.0.0/24', table: 7 },
      ],
      routes: [
        { family: 4, table: 51820, dst: 'default', type: 'blackhole', metric: 4294967295 },
        { family: 4, table: 51820, dst: 'default', dev: 'e0' },
        { family: 4, table: 7, dst: '10.9.0.0/16', via: '10.5.0.2' },
      ],
    };
    const r1 = reconcileRouting(rt, await observeRouting(a, rt));
    t.is(r1.length, 7);
    await applyRouting(a, r1);
    t.deepEqual(reconcileRouting(rt, await observeRouting(a, rt)), []);
    // Drift: the tunnel route vanishes (its device restarted) — only that route is re-added.
    await a.run(['ip', 'route', 'del', 'default', 'dev', 'e0', 'table', '51820']);
    const r2 = reconcileRouting(rt, await observeRouting(a, rt));
    t.deepEqual(r2.map((c) => c.describe), ['route replace default dev e0 table 51820']);
  } finally {
    await scope.close();
  }
});
