import test from 'ava';
import { applyClientNet, natRules, observeClientNet, planClientNet, type ClientNetDesired } from '../../../src/xray/client-net.js';
import { emptyNetState, fakeNet } from '../../helpers/fake-net.js';

const d: ClientNetDesired = { socketIf: 'internal_101', clientSubnet: '10.66.0.0/24', warpIp: '10.77.0.1', gatewayIp: '10.77.0.100', transparentPort: 12345, dnsPort: 5353 };

/** CT101's namespace: the socket up; forwarding on (as a fresh container may have it). */
function ct101() {
  const s = emptyNetState({ internal_101: { up: true, mtu: 1420, addrs: ['10.77.0.101/24'] } });
  s.sysctl['net.ipv4.ip_forward'] = '1';
  s.sysctl['net.ipv6.conf.all.forwarding'] = '1';
  return fakeNet(s, 'netns:ct101');
}
const bare = (lines: string[]) => lines.map((l) => l.replace(/ -m comment --comment privroute\/xray:[0-9a-f]{12}$/, ''));

test('from a fresh container: forwarding off first, then the chain in order, the jump, and both routes', async (t) => {
  const exec = ct101();
  const plan = planClientNet(d, await observeClientNet(exec, d));
  t.deepEqual(plan.map((c) => c.describe), [
    'sysctl net.ipv4.ip_forward=0',
    'sysctl net.ipv6.conf.all.forwarding=0',
    'create chain iptables -t nat PRIVROUTE-XRAY',
    'add iptables -t nat PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353',
    'add iptables -t nat PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 5353',
    'add iptables -t nat PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p tcp -j REDIRECT --to-ports 12345',
    'add iptables -t nat PREROUTING -j PRIVROUTE-XRAY',
    'route default via 10.77.0.1 dev internal_101 table main',
    'route 10.66.0.0/24 via 10.77.0.100 dev internal_101 table main',
  ]);
  await applyClientNet(exec, plan);
  t.deepEqual(bare(exec.state.chains.get('4/nat/PRIVROUTE-XRAY')!.lines), natRules(d).map((r) => r.spec.join(' ')));
});

test('converged state plans nothing (also on a kernel without IPv6)', async (t) => {
  const exec = ct101();
  await applyClientNet(exec, planClientNet(d, await observeClientNet(exec, d)));
  t.deepEqual(planClientNet(d, await observeClientNet(exec, d)), []);
  delete exec.state.sysctl['net.ipv6.conf.all.forwarding'];
  t.deepEqual(planClientNet(d, await observeClientNet(exec, d)), []);
});

test('DNS rules must precede the catch-all TCP redirect: a reordered chain is put back in order, never flushed', async (t) => {
  const exec = ct101();
  await applyClientNet(exec, planClientNet(d, await observeClientNet(exec, d)));
  const chain = exec.state.chains.get('4/nat/PRIVROUTE-XRAY')!;
  chain.lines.push(chain.lines.shift()!); // udp/53 moved after the catch-all
  const plan = planClientNet(d, await observeClientNet(exec, d));
  t.false(plan.some((c) => c.argv.includes('-F')));
  await applyClientNet(exec, plan);
  t.deepEqual(bare(chain.lines), natRules(d).map((r) => r.spec.join(' ')));
  t.deepEqual(planClientNet(d, await observeClientNet(exec, d)), []);
});

test('a changed port or a wrong default route is corrected (the new redirect before the old one goes); forwarding re-enabled by someone is turned off', async (t) => {
  const exec = ct101();
  await applyClientNet(exec, planClientNet(d, await observeClientNet(exec, d)));
  exec.state.sysctl['net.ipv4.ip_forward'] = '1';
  exec.state.routes.get('4/main')!.find((r) => r.dst === 'default')!.gateway = '192.168.1.1';
  const plan = planClientNet({ ...d, transparentPort: 12346 }, await observeClientNet(exec, d));
  const text = plan.map((c) => c.describe);
  t.is(text[0], 'sysctl net.ipv4.ip_forward=0');
  const add = text.findIndex((x) => x.endsWith('--to-ports 12346'));
  const del = text.findIndex((x) => /^remove stale .*--to-ports 12345/.test(x));
  t.true(add >= 0 && add < del);
  t.true(text.includes('route default via 10.77.0.1 dev internal_101 table main'));
  t.false(text.some((x) => x.includes('10.66.0.0/24 via')));
});

test('upgrade: the previous release\'s uncommented chain and jump are replaced add-first', async (t) => {
  const exec = ct101();
  exec.state.chains.set('4/nat/PRIVROUTE-XRAY', { builtin: false, lines: natRules(d).map((r) => r.spec.join(' ')) });
  exec.state.chains.get('4/nat/PREROUTING')!.lines.push('-j PRIVROUTE-XRAY');
  const plan = planClientNet(d, await observeClientNet(exec, d));
  const firstRemove = plan.findIndex((c) => /pre-ownership/.test(c.describe));
  t.is(plan.filter((c) => /pre-ownership/.test(c.describe)).length, 4);
  t.is(plan.slice(0, firstRemove).filter((c) => /^add /.test(c.describe)).length, 4);
  await applyClientNet(exec, plan);
  t.deepEqual(bare(exec.state.chains.get('4/nat/PRIVROUTE-XRAY')!.lines), natRules(d).map((r) => r.spec.join(' ')));
  t.is(exec.state.chains.get('4/nat/PREROUTING')!.lines.length, 1);
});
