import test from 'ava';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { ensureGateway, gatewayDesired, gatewayRules, planGateway, type GatewayObserved } from '../../../src/tunnel/gateway.js';
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

const empty: GatewayObserved = {
  link: { mtu: 1420, up: false, addrs: [] }, ipForward: '0', ip6Forward: '0', rules: ['0:\tfrom all lookup local', '32766:\tfrom all lookup main'],
  tableRoutes: [], forwardPolicy: 'ACCEPT', rulePresent: gatewayRules(d).map(() => false),
};

test('plan from scratch: fail-closed order (fallback before rule, firewall before forwarding)', (t) => {
  const steps = planGateway(d, empty).map((c) => c.argv.join(' '));
  t.deepEqual(steps, [
    'ip addr add 10.8.0.1/24 dev wg0',
    'ip link set dev wg0 up',
    'ip route add unreachable default metric 4294967295 table 100',
    'ip route replace default via 10.77.0.101 dev internal_100 table 100',
    'ip rule add iif wg0 lookup 100 priority 100',
    'iptables -w -P FORWARD DROP',
    'iptables -w -t filter -A FORWARD -i wg0 -o internal_100 -s 10.8.0.0/24 -j ACCEPT',
    'iptables -w -t filter -A FORWARD -i internal_100 -o wg0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'iptables -w -t mangle -A FORWARD -i wg0 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1380',
    'iptables -w -t nat -A PREROUTING -i wg0 -d 10.8.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.77.0.101',
    'iptables -w -t nat -A PREROUTING -i wg0 -d 10.8.0.1/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 10.77.0.101',
    'sysctl -w net.ipv4.ip_forward=1',
  ]);
});

test('plan: a missing userspace interface is a precondition (wireguard-go must be supervised), kernel creates it', async (t) => {
  const p = planGateway(d, { ...empty, link: null });
  t.true(p[0]!.precondition);
  t.deepEqual(p[0]!.argv, ['wireguard-go', '-f', 'wg0']);
  const fake = new FakeHostExec();
  const { applyGateway } = await import('../../../src/tunnel/gateway.js');
  await t.throwsAsync(applyGateway(fake, p), { instanceOf: PreconditionError });
  t.deepEqual(fake.runs(), [], 'nothing runs after a failed precondition');
  const k = planGateway({ ...d, backend: 'kernel' }, { ...empty, link: null });
  t.deepEqual(k[0]!.argv, ['ip', 'link', 'add', 'dev', 'wg0', 'type', 'wireguard']);
});

test('plan: a wrong next hop is replaced; the fallback is kept', (t) => {
  const o: GatewayObserved = {
    ...empty, link: { mtu: 1420, up: true, addrs: ['10.8.0.1/24'] }, ipForward: '1', forwardPolicy: 'DROP',
    rules: ['100:\tfrom all iif wg0 lookup 100'], rulePresent: gatewayRules(d).map(() => true),
    tableRoutes: ['default via 10.77.0.99 dev internal_100', 'unreachable default metric 4294967295'],
  };
  t.deepEqual(planGateway(d, o).map((c) => c.describe), ['table 100: default via 10.77.0.101 dev internal_100']);
});

/** A stateful model of the container's network: ip/iptables/sysctl mutate it, observe reads it. */
function containerFake() {
  const st = {
    link: { mtu: 1420, up: false, addrs: [] as string[] },
    sysctl: new Map([['net.ipv4.ip_forward', '0'], ['net.ipv6.conf.all.forwarding', '1']]),
    rules: ['0:\tfrom all lookup local', '32766:\tfrom all lookup main'],
    table: [] as string[],
    policy: 'ACCEPT',
    ipt: new Set<string>(),
  };
  const fake = new FakeHostExec({ target: 'netns:ct100' })
    .on(['ip', '-j', 'addr', 'show', 'dev', 'wg0'], () => JSON.stringify([{ ifname: 'wg0', mtu: st.link.mtu, flags: st.link.up ? ['POINTOPOINT', 'UP'] : ['POINTOPOINT'], addr_info: st.link.addrs.map((a) => ({ family: 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]) })) }]), { times: 'any' })
    .on(['sysctl', '-n', /.+/], ({ captures: [k] }) => st.sysctl.get(k!)! + '\n', { times: 'any' })
    .on(['sysctl', '-w', /.+/], ({ captures: [kv] }) => void st.sysctl.set(kv!.split('=')[0]!, kv!.split('=')[1]!), { times: 'any' })
    .on(['ip', '-4', 'rule', 'show'], () => st.rules.join('\n') + '\n', { times: 'any' })
    .on(['ip', '-4', 'route', 'show', 'table', '100'], () => st.table.join('\n'), { times: 'any' })
    .on(['iptables', '-w', '-S', 'FORWARD'], () => `-P FORWARD ${st.policy}\n`, { times: 'any' })
    .on(['iptables', '-w', '-t', /\w+/, '-C', REST], ({ argv }) => ({ code: st.ipt.has(argv.slice(3).join(' ').replace(' -C ', ' ')) ? 0 : 1 }), { times: 'any' })
    .on(['iptables', '-w', '-t', /\w+/, '-A', REST], ({ argv }) => void st.ipt.add(argv.slice(3).join(' ').replace(' -A ', ' ')), { times: 'any' })
    .on(['iptables', '-w', '-P', 'FORWARD', 'DROP'], () => void (st.policy = 'DROP'), { times: 'any' })
    .on(['ip', 'addr', 'add', /.+/, 'dev', 'wg0'], ({ captures: [a] }) => void st.link.addrs.push(a!), { times: 'any' })
    .on(['ip', 'link', 'set', 'dev', 'wg0', 'up'], () => void (st.link.up = true), { times: 'any' })
    .on(['ip', 'route', 'add', 'unreachable', 'default', 'metric', '4294967295', 'table', '100'], () => void st.table.push('unreachable default metric 4294967295'), { times: 'any' })
    .on(['ip', 'route', 'replace', 'default', 'via', /.+/, 'dev', /.+/, 'table', '100'], ({ captures: [via, dev] }) => {
      st.table = st.table.filter((l) => !l.startsWith('default via'));
      st.table.unshift(`default via ${via} dev ${dev}`);
    }, { times: 'any' })
    .on(['ip', 'rule', 'add', 'iif', 'wg0', 'lookup', '100', 'priority', '100'], () => void st.rules.splice(1, 0, '100:\tfrom all iif wg0 lookup 100'), { times: 'any' });
  return { st, fake };
}

test('ensureGateway against a stateful container: converges, second run changes nothing, never flushes', async (t) => {
  const { st, fake } = containerFake();
  const first = await ensureGateway(fake, d);
  t.true(first.length > 5);
  t.is(st.policy, 'DROP');
  t.is(st.sysctl.get('net.ipv4.ip_forward'), '1');
  t.is(st.sysctl.get('net.ipv6.conf.all.forwarding'), '0');
  t.is(st.ipt.size, 5);
  const second = await ensureGateway(fake, d);
  t.deepEqual(second, []);
  t.false(fake.runs().some((a) => a.includes('-F') || a.includes('flush') || a.includes('-D')));
  fake.assertDone();
});
