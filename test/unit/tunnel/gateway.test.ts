import test from 'ava';
import { FakeHostExec } from '../../../src/host/fake.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { applyGateway, ensureGateway, gatewayDesired, gatewayRules, observeGateway, planGateway } from '../../../src/tunnel/gateway.js';
import { emptyNetState, fakeNet } from '../../helpers/fake-net.js';
import { seedConfig } from './_helpers.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const seed = seedConfig({ interface: 'wg0', mtu: 1420 });
const d = gatewayDesired(seed, applianceTopology(seed, null));

test('desired: addresses from the subnet and the chain address plan', (t) => {
  t.like(d, {
    iface: 'wg0', address4: '10.8.0.1/24', gatewayIp4: '10.8.0.1', clientSubnet4: '10.8.0.0/24',
    socketIf: 'internal_100', socketIp: '10.77.0.100', xrayIp: '10.77.0.101', table: 100, mss: 1380, mtu: 1420,
  });
});

/** CT100's namespace: the socket up, wg0 made by wireguard-go (down, no address), IPv6 forwarding on. */
function ct100(withWg = true) {
  const s = emptyNetState({ internal_100: { up: true, mtu: 1420, addrs: ['10.77.0.100/24'] }, ...(withWg ? { wg0: { up: false, mtu: 1420, addrs: [] } } : {}) });
  s.sysctl['net.ipv6.conf.all.forwarding'] = '1';
  return fakeNet(s, 'netns:ct100');
}

test('plan from scratch: fail-closed order (IPv6 forwarding off first, fallback before rule, firewall before forwarding)', async (t) => {
  const exec = ct100();
  const steps = planGateway(d, await observeGateway(exec, d)).map((c) => c.describe);
  const at = (re: RegExp) => steps.findIndex((x) => re.test(x));
  t.is(at(/net.ipv6.conf.all.forwarding=0/), 0);
  t.true(at(/add iptables -t filter FORWARD -i wg0 -o internal_100/) < at(/policy FORWARD DROP/));
  t.true(at(/policy FORWARD DROP/) < at(/unreachable default/));
  t.true(at(/unreachable default/) < at(/rule priority 100 iif wg0 lookup 100/));
  t.true(at(/rule priority 100/) < at(/wg0 address 10.8.0.1\/24/));
  t.true(at(/wg0 up/) < at(/default via 10.77.0.101 dev internal_100 table 100/));
  t.is(at(/net.ipv4.ip_forward=1/), steps.length - 1, 'forwarding last');
  t.is(steps.filter((x) => /^add /.test(x)).length, gatewayRules(d).length);
});

test('plan: a missing userspace interface is a precondition (wireguard-go must be supervised), kernel creates it', async (t) => {
  const o = await observeGateway(ct100(false), d);
  const p = planGateway(d, o);
  t.true(p[0]!.precondition);
  t.deepEqual(p[0]!.argv, ['wireguard-go', '-f', 'wg0']);
  t.true(p.some((c) => c.describe === 'wg0 address 10.8.0.1/24'), 'the bare interface is planned whole');
  const fake = new FakeHostExec();
  await t.throwsAsync(applyGateway(fake, p), { instanceOf: PreconditionError });
  t.deepEqual(fake.runs(), [], 'nothing runs after a failed precondition');
  const k = planGateway({ ...d, backend: 'kernel' }, o);
  t.deepEqual(k[0]!.argv, ['ip', 'link', 'add', 'dev', 'wg0', 'type', 'wireguard']);
});

test('a wrong next hop is replaced in place; the fallback is kept', async (t) => {
  const exec = ct100();
  await ensureGateway(exec, d);
  exec.state.routes.get('4/100')!.find((r) => r.gateway)!.gateway = '10.77.0.99';
  t.deepEqual(planGateway(d, await observeGateway(exec, d)).map((c) => c.describe), ['route default via 10.77.0.101 dev internal_100 table 100']);
});

test('ensureGateway against a stateful container: converges, second run changes nothing, never flushes', async (t) => {
  const exec = ct100();
  const first = await ensureGateway(exec, d);
  t.true(first.length > 5);
  const st = exec.state;
  t.is(st.chains.get('4/filter/FORWARD')!.policy, 'DROP', 'the container is privroute\'s own: FORWARD DROP');
  t.is(st.sysctl['net.ipv4.ip_forward'], '1');
  t.is(st.sysctl['net.ipv6.conf.all.forwarding'], '0');
  t.true([...st.chains.values()].flatMap((c) => c.lines).every((l) => /privroute\/gateway:[0-9a-f]{12}$/.test(l)), 'every rule carries its ownership comment');
  t.deepEqual(await ensureGateway(exec, d), []);
  t.false(exec.runs().some((a) => a.includes('-F') || a.includes('flush') || a.includes('-D')));
});

test('upgrade: the previous release\'s uncommented rules are replaced, each commented copy added before the old one goes', async (t) => {
  const exec = ct100();
  // The previous release: same rules, appended, no comment (and FORWARD DROP).
  for (const r of gatewayRules(d)) exec.state.chains.get(`4/${r.table}/${r.chain}`)!.lines.push(r.spec.join(' '));
  exec.state.chains.get('4/filter/FORWARD')!.policy = 'DROP';
  const plan = planGateway(d, await observeGateway(exec, d));
  const firstRemove = plan.findIndex((c) => /pre-ownership/.test(c.describe));
  t.is(plan.filter((c) => /pre-ownership/.test(c.describe)).length, 5);
  t.true(plan.slice(0, firstRemove).filter((c) => /^add /.test(c.describe)).length === 5, 'all five commented rules first');
  await applyGateway(exec, plan);
  t.true([...exec.state.chains.values()].flatMap((c) => c.lines).every((l) => /privroute\/gateway:/.test(l)));
  t.is(exec.state.chains.get('4/filter/FORWARD')!.lines.length, 2);
  t.deepEqual(planGateway(d, await observeGateway(exec, d)), []);
});
