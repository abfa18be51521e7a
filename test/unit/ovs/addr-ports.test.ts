/** Address parsing/formatting of the codec, and port name <-> number mapping. */
import test from 'ava';
import { formatMaskedIp, parseMaskedIp, parseMaskedMac, prefixLen } from '../../../src/ovs/openflow/addr.js';
import { namePorts, resolvePorts } from '../../../src/ovs/ports.js';
import type { Flow } from '../../../src/ovs/flow.js';

test('IPv4 parser is strict and canonicalises masked values', (t) => {
  t.deepEqual([...parseMaskedIp('10.0.0.1', 4).value], [10, 0, 0, 1]);
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', 'a.b.c.d', '1..2.3', '']) t.throws(() => parseMaskedIp(bad, 4), undefined, bad);
  const m = parseMaskedIp('1.2.3.4/255.255.0.0', 4);
  t.is(formatMaskedIp(m.value, m.mask), '1.2.0.0/16');
  t.is(formatMaskedIp(parseMaskedIp('10.1.2.3/32', 4).value), '10.1.2.3');
  t.is(formatMaskedIp(Buffer.from([10, 0, 0, 0]), Buffer.from([255, 0, 255, 0])), '10.0.0.0/255.0.255.0');
  const v6 = parseMaskedIp('fd00:0:0:0::7/64', 6);
  t.is(formatMaskedIp(v6.value, v6.mask), 'fd00::/64');
  t.is(prefixLen(Buffer.from([255, 255, 128, 0])), 17);
  t.is(prefixLen(Buffer.from([255, 0, 255, 0])), -1);
  t.throws(() => parseMaskedMac('02:00:00:00:00'), { message: /invalid MAC/ });
});

const flow: Flow = { table: 0, priority: 1, cookie: 1n, match: { in_port: 'internal_100' }, actions: [{ type: 'output', port: 'warp0' }, { type: 'resubmit', table: 3, port: 'LOCAL' }, { type: 'output', port: 7 }] };

test('resolvePorts maps names and reserved names; namePorts inverts it; inputs untouched', (t) => {
  const r = resolvePorts(flow, new Map([['internal_100', 1], ['warp0', 2]]));
  t.is(r.match.in_port, 1);
  t.deepEqual(r.actions, [{ type: 'output', port: 2 }, { type: 'resubmit', table: 3, port: 0xfffffffe }, { type: 'output', port: 7 }]);
  t.is(flow.match.in_port, 'internal_100');
  const back = namePorts(r, { 1: 'internal_100', 2: 'warp0' });
  t.deepEqual(back.actions, [{ type: 'output', port: 'warp0' }, { type: 'resubmit', table: 3, port: 'LOCAL' }, { type: 'output', port: 7 }]);
  t.is(back.match.in_port, 'internal_100');
});

test('resolvePorts names the flow and the unknown / failed port', (t) => {
  t.throws(() => resolvePorts(flow, { internal_100: 1 }), { message: /table=0,priority=1 actions output: got "warp0"; a port that exists/ });
  t.throws(() => resolvePorts(flow, { internal_100: -1, warp0: 2 }), { message: /match in_port: got "internal_100"; a port OVS created/ });
});

test('endpoints: unix and tcp (IPv4/IPv6/name) parse; anything else is an InputError', async (t) => {
  const { parseEndpoint } = await import('../../../src/ovs/endpoint.js');
  t.deepEqual(parseEndpoint('unix:/run/openvswitch/db.sock'), { kind: 'unix', path: '/run/openvswitch/db.sock' });
  t.deepEqual(parseEndpoint('tcp:127.0.0.1:6640'), { kind: 'tcp', host: '127.0.0.1', port: 6640 });
  t.deepEqual(parseEndpoint('tcp:[::1]:6653'), { kind: 'tcp', host: '::1', port: 6653 });
  t.deepEqual(parseEndpoint('tcp:ovs.local:6640'), { kind: 'tcp', host: 'ovs.local', port: 6640 });
  for (const bad of ['/run/db.sock', 'tcp:host', 'tcp:host:0', 'tcp:host:70000', 'unix:', 'ssl:h:1']) t.throws(() => parseEndpoint(bad), { message: /expected 'unix:\/path\/to.sock' or 'tcp:host:port'/ }, bad);
});
