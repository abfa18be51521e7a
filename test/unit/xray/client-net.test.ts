import test from 'ava';
import { desiredNatRules, planClientNet, type ClientNetDesired, type ClientNetObserved } from '../../../src/xray/client-net.js';

const d: ClientNetDesired = { socketIf: 'internal_101', clientSubnet: '10.66.0.0/24', warpIp: '10.77.0.1', gatewayIp: '10.77.0.100', transparentPort: 12345, dnsPort: 5353 };

const fresh: ClientNetObserved = { ipForward: '1', ip6Forward: '1', chainRules: null, jumpPresent: false, defaultRoute: '', returnRoute: '' };
const converged: ClientNetObserved = {
  ipForward: '0',
  ip6Forward: '0',
  chainRules: desiredNatRules(d),
  jumpPresent: true,
  defaultRoute: 'default via 10.77.0.1 dev internal_101',
  returnRoute: '10.66.0.0/24 via 10.77.0.100 dev internal_101',
};

test('from a fresh container: forwarding off first, then the chain in order, the jump, and both routes', (t) => {
  t.deepEqual(planClientNet(d, fresh).map((c) => c.argv.join(' ')), [
    'sysctl -w net.ipv4.ip_forward=0',
    'sysctl -w net.ipv6.conf.all.forwarding=0',
    'iptables -w -t nat -N PRIVROUTE-XRAY',
    'iptables -w -t nat -A PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353',
    'iptables -w -t nat -A PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 5353',
    'iptables -w -t nat -A PRIVROUTE-XRAY -s 10.66.0.0/24 -i internal_101 -p tcp -j REDIRECT --to-ports 12345',
    'iptables -w -t nat -I PREROUTING 1 -j PRIVROUTE-XRAY',
    'ip route replace default via 10.77.0.1 dev internal_101',
    'ip route replace 10.66.0.0/24 via 10.77.0.100 dev internal_101',
  ]);
});

test('converged state plans nothing (also on a kernel without IPv6)', (t) => {
  t.deepEqual(planClientNet(d, converged), []);
  t.deepEqual(planClientNet(d, { ...converged, ip6Forward: '' }), []);
});

test('DNS rules must precede the catch-all TCP redirect: a reordered chain is rebuilt', (t) => {
  const rules = desiredNatRules(d);
  const plan = planClientNet(d, { ...converged, chainRules: [rules[2]!, rules[0]!, rules[1]!] });
  t.is(plan[0]!.argv.join(' '), 'iptables -w -t nat -F PRIVROUTE-XRAY');
  t.is(plan.length, 4);
});

test('a changed port or a wrong default route is corrected; forwarding re-enabled by someone is turned off', (t) => {
  const plan = planClientNet({ ...d, transparentPort: 12346 }, { ...converged, ipForward: '1', defaultRoute: 'default via 192.168.1.1 dev eth0' });
  const text = plan.map((c) => c.argv.join(' '));
  t.true(text.includes('sysctl -w net.ipv4.ip_forward=0'));
  t.true(text.some((x) => x.endsWith('--to-ports 12346')));
  t.true(text.includes('ip route replace default via 10.77.0.1 dev internal_101'));
  t.false(text.some((x) => x.includes('10.66.0.0/24 via')));
});
