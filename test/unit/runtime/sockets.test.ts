import test from 'ava';
import { parseIpAddrJson, planSockets, type SocketPlacement, type LinkState } from '../../../src/runtime/sockets.js';

const gw: SocketPlacement = { name: 'internal_100', containerId: 100, cidr: '10.77.0.100/24', mtu: 1420 };
const xr: SocketPlacement = { name: 'internal_101', containerId: 101, cidr: '10.77.0.101/24', cidr6: 'fd77::101/64', mtu: 1420 };

const IP_J = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifindex: 7, ifname: 'internal_101', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1420,
    addr_info: [
      { family: 'inet', local: '10.77.0.101', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
]);

test('parses ip -j addr, keeping global addresses only', (t) => {
  const m = parseIpAddrJson(IP_J);
  t.deepEqual(m.get('internal_101'), { up: true, mtu: 1420, addrs: ['10.77.0.101/24'] });
  t.deepEqual(m.get('lo')!.addrs, []);
});

test('a fresh port in the node is moved and configured', (t) => {
  const ch = planSockets([gw], { inNode: new Set(['internal_100']), inContainer: new Map([['internal_100', null]]) });
  t.deepEqual(ch.map((c) => c.op), ['move', 'configure']);
});

test('after an ovs-vswitchd restart the dead orphan is deleted before the move', (t) => {
  const orphan: LinkState = { up: false, mtu: 1420, addrs: ['10.77.0.100/24'] };
  const ch = planSockets([gw], { inNode: new Set(['internal_100']), inContainer: new Map([['internal_100', orphan]]) });
  t.deepEqual(ch.map((c) => c.op), ['delete-orphan', 'move', 'configure']);
});

test('a converged socket yields no change; drift yields only the missing pieces', (t) => {
  const ok = parseIpAddrJson(IP_J).get('internal_101')!;
  t.deepEqual(planSockets([{ ...xr, cidr6: undefined }], { inNode: new Set(), inContainer: new Map([['internal_101', ok]]) }), []);
  const ch = planSockets([xr], { inNode: new Set(), inContainer: new Map([['internal_101', { ...ok, up: false }]]) });
  t.is(ch.length, 1);
  const c = ch[0]!;
  t.is(c.op, 'configure');
  if (c.op === 'configure') {
    t.deepEqual(c.addAddrs, ['fd77::101/64']);
    t.true(c.setUp);
    t.false(c.setMtu);
  }
});

test('a socket that exists nowhere is reported, not silently skipped', (t) => {
  const ch = planSockets([gw], { inNode: new Set(), inContainer: new Map([['internal_100', null]]) });
  t.is(ch[0]!.op, 'missing');
});
