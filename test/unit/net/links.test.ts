import test from 'ava';
import { parseIpAddrJson, globalScope } from '../../../src/net/links.js';

// Shaped like `ip -j addr show` on Debian 12 (iproute2 6.1).
const IP_J = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, addr_info: [
    { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' },
    { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' },
  ] },
  { ifindex: 7, ifname: 'wg0', flags: ['POINTOPOINT', 'NOARP'], mtu: 1420, addr_info: [
    { family: 'inet', local: '10.8.0.1', prefixlen: 24, scope: 'global' },
    { family: 'inet', local: '169.254.9.9', prefixlen: 16, scope: 'link' },
    { family: 'inet6', local: 'fd08::1', prefixlen: 64, scope: 'global' },
    { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
  ] },
  { ifindex: 9, ifname: 'bare', flags: ['UP'] },
]);

test('default: per-link state with global-scope addresses only', (t) => {
  const m = parseIpAddrJson(IP_J);
  t.deepEqual([...m.keys()], ['lo', 'wg0', 'bare']);
  t.deepEqual(m.get('wg0'), { up: false, mtu: 1420, addrs: ['10.8.0.1/24', 'fd08::1/64'] });
  t.deepEqual(m.get('lo'), { up: true, mtu: 65536, addrs: [] });
  // No addr_info and no mtu: no addresses, MTU 0 (never equal to a desired MTU).
  t.deepEqual(m.get('bare'), { up: true, mtu: 0, addrs: [] });
});

test('a caller-chosen filter decides which addresses are reported', (t) => {
  const noLinkLocal6 = parseIpAddrJson(IP_J, (a) => !(a.family === 'inet6' && a.scope === 'link'));
  t.deepEqual(noLinkLocal6.get('wg0')!.addrs, ['10.8.0.1/24', '169.254.9.9/16', 'fd08::1/64']);
  t.deepEqual(noLinkLocal6.get('lo')!.addrs, ['127.0.0.1/8', '::1/128']);
  t.false(globalScope({ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }));
  t.true(globalScope({ family: 'inet', local: '10.0.0.1', prefixlen: 8 }));
});

test('empty output is no links; garbage throws', (t) => {
  t.is(parseIpAddrJson('').size, 0);
  t.throws(() => parseIpAddrJson('not json'));
});
