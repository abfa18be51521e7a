import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { addressPlan, deriveMac, hostInSubnet4, hostInSubnet6 } from '../../../src/topology/addressing.js';
import { makeCookie, parseCookie, isOwned, OWNER_COOKIE, OWNER_MASK } from '../../../src/flows/cookie.js';
import { seedConfig } from '../flows/_seed.js';

test('address plan of the seed: warp0 .1, sockets .<ctid>, nm-privacy .1 of the mesh', (t) => {
  const topo = addressPlan(seedConfig());
  const ip = Object.fromEntries(topo.ports.map((p) => [p.name, `${p.ip}/${p.prefixLen} ${p.role}`]));
  t.deepEqual(ip, {
    warp0: '10.77.0.1/24 warp',
    'nm-privacy': '10.78.0.1/24 mesh-uplink',
    internal_100: '10.77.0.100/24 gateway',
    internal_101: '10.77.0.101/24 xray',
    internal_200: '10.78.0.200/24 mesh',
    internal_201: '10.78.0.201/24 mesh',
  });
  t.true(topo.ports.every((p) => /^02(:[0-9a-f]{2}){5}$/.test(p.mac)));
  t.is(new Set(topo.ports.map((p) => p.mac)).size, topo.ports.length);
});

test('MACs are deterministic per name and change only with the rotation salt', (t) => {
  t.is(deriveMac('internal_100'), deriveMac('internal_100'));
  t.not(deriveMac('internal_100'), deriveMac('internal_101'));
  t.not(deriveMac('internal_100', 'r1'), deriveMac('internal_100'));
  const a = addressPlan(seedConfig(), { macSalt: 'r1' });
  t.is(a.ports.find((p) => p.name === 'internal_100')!.mac, deriveMac('internal_100', 'r1'));
});

test('IPv6 and access port', (t) => {
  const topo = addressPlan(seedConfig((r) => void (r.chain_network = { ...r.chain_network, subnet6: 'fd77::/64' })), { accessPort: 'prclient' });
  t.is(topo.ports.find((p) => p.name === 'internal_101')!.ip6, 'fd77::65');
  t.is(topo.ports.find((p) => p.name === 'prclient')!.ip, '10.77.0.2');
  t.is(hostInSubnet4('10.77.0.0/24', 255), null);
  t.is(hostInSubnet6('fd00::/120', 300), null);
});

test('a container id outside the chain subnet is an InputError naming the path', (t) => {
  const e = t.throws(() => addressPlan(seedConfig((r) => void (r.chain_network = { ...r.chain_network, subnet: '10.77.0.0/26' }))), { instanceOf: InputError }) as InputError;
  t.true(e.problems.some((p) => p.path.startsWith('plugins.privacy_router.') && /10\.77\.0\.0\/26/.test(p.expected)));
});

test('cookies: ownership prefix, round and category round-trip', (t) => {
  const c = makeCookie({ round: 7, category: 'user', rule: 'none', objectId: 2 });
  t.true(isOwned(c));
  t.is(c & OWNER_MASK, OWNER_COOKIE);
  t.deepEqual(parseCookie(c), { round: 7, category: 'user', rule: 'none', objectId: 2 });
  t.false(isOwned(0x1234n));
  t.is(parseCookie(0x1234n), null);
  t.throws(() => makeCookie({ round: 256, category: 'user', rule: 'none', objectId: 0 }));
});

test('canonical text: decoder spellings of the same match give the same key', async (t) => {
  const { matchText } = await import('../../../src/flows/text.js');
  t.is(matchText({}), '');
  t.is(matchText({ metadata: { value: 5n } }), 'metadata=0x5');
  t.is(matchText({ metadata: { value: 5n, mask: 0xffn } }), 'metadata=0x5/0xff');
  t.is(
    matchText({ in_port: 3, regs: { 1: { value: 7, mask: 0xffffffff }, 0: { value: 2 } }, eth_type: 0x0800, ipv4_src: '10.0.0.1/32', eth_dst: 'AA:BB:CC:DD:EE:FF' }),
    matchText({ in_port: 3, regs: { 0: { value: 2 }, 1: { value: 7 } }, eth_type: 0x0800, ipv4_src: '10.0.0.1', eth_dst: 'aa:bb:cc:dd:ee:ff' }),
  );
  t.is(matchText({ eth_type: 0x86dd, ipv6_src: 'FD77:0::65/128' }), 'ipv6,ipv6_src=fd77::65');
});
