import test from 'ava';
import type { RouterConfig } from '../../../src/config/types.js';
import { chainEdges } from '../../../src/flows/invariant.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { applianceTopology } from '../../../src/topology/topology.js';
import { INGRESS_PORT } from '../../../src/topology/addressing.js';
import { ingressDesired, ingressNet, INGRESS_CHAIN } from '../../../src/tunnel/ingress.js';
import { planNet, type NetObserved } from '../../../src/net/reconcile.js';
import { seedConfig } from '../flows/_seed.js';

const withUplink = (more: (r: RouterConfig) => void = () => {}) =>
  seedConfig((r) => {
    r.wireguard.uplink = 'vmbr0';
    more(r);
  });

test('no uplink: no ingress port, no ingress (the seed is unchanged)', (t) => {
  const c = seedConfig();
  const topo = applianceTopology(c, null);
  t.false(topo.ports.some((p) => p.role === 'ingress'));
  t.is(ingressDesired(c, topo), null);
});

test('with an uplink: the ingress port is chain .3, object id 4, on the node', (t) => {
  const c = withUplink();
  const topo = applianceTopology(c, null);
  const p = topo.ports.find((x) => x.role === 'ingress');
  t.like(p, { name: INGRESS_PORT, ip: '10.77.0.3', objectId: 4 });
  const d = ingressDesired(c, topo)!;
  t.deepEqual(d.families, [{ family: 4, gatewayIp: '10.77.0.100', ingressIp: '10.77.0.3' }]);
});

test('every rule is scoped to the ingress port or the uplink, DNAT only UDP listen_port, and the chain ends in DROP', (t) => {
  const c = withUplink();
  const net = ingressNet(ingressDesired(c, applianceTopology(c, null))!);
  t.is(net.owner, 'ingress');
  const lp = String(c.plugins.privacy_router.wireguard.listen_port);
  for (const r of net.rules ?? []) {
    const s = r.spec.join(' ');
    const scoped = s.includes(INGRESS_PORT) || s.includes('-i vmbr0') || r.chain === INGRESS_CHAIN || (r.chain === 'OUTPUT' && s.includes('--ctreplsrc 10.77.0.100/32'));
    t.true(scoped, `unscoped rule: ${r.chain} ${s}`);
  }
  const dnat = (net.rules ?? []).filter((r) => r.table === 'nat' && r.spec.includes('DNAT'));
  t.is(dnat.length, 1);
  t.deepEqual(dnat[0]!.spec, ['-i', 'vmbr0', '-m', 'addrtype', '--dst-type', 'LOCAL', '--limit-iface-in', '-p', 'udp', '-m', 'udp', '--dport', lp, '-j', 'DNAT', '--to-destination', `10.77.0.100:${lp}`]);
  const inChain = (net.rules ?? []).filter((r) => r.chain === INGRESS_CHAIN);
  t.deepEqual(inChain.at(-1)!.spec, ['-j', 'DROP']);
  t.true(inChain.slice(0, -1).every((r) => r.spec.includes('udp') && r.spec.includes('ACCEPT')), 'only UDP is accepted');
  // No policy of the host is touched; forwarding is only switched on.
  t.is(net.policies, undefined);
  t.true((net.sysctls ?? []).every((s) => s.value === '1'));
  t.deepEqual(net.links, [{ name: INGRESS_PORT, mtu: c.plugins.privacy_router.chain_network.mtu, addrs: ['10.77.0.3/32'], up: true }]);
});

test('IPv6 chain subnet: the same ingress for IPv6, link-local excluded from the DNAT', (t) => {
  const c = withUplink((r) => {
    r.chain_network.subnet6 = 'fd77::/64';
  });
  const net = ingressNet(ingressDesired(c, applianceTopology(c, null))!);
  const dnat6 = (net.rules ?? []).find((r) => r.family === 6 && r.table === 'nat' && r.spec.includes('DNAT'))!;
  t.true(dnat6.spec.join(' ').includes('! -d fe80::/10'));
  t.true(dnat6.spec.join(' ').endsWith('--to-destination [fd77::64]:51820'));
  t.deepEqual(net.links![0]!.addrs, ['10.77.0.3/32', 'fd77::3/128']);
});

test('the ingress edges carry ARP and UDP to/from listen_port only (no ICMP), the access port keeps ICMP', (t) => {
  const c = withUplink((r) => {
    r.wireguard.access_port = 'access0';
  });
  const topo = applianceTopology(c, null);
  const edges = chainEdges(c.plugins.privacy_router, topo);
  const ing = edges.filter((e) => e.from.role === 'ingress' || e.to.role === 'ingress');
  t.is(ing.length, 2);
  for (const e of ing) t.false(e.filters!.some((f) => f.ip_proto === 1), 'no ICMP on the ingress edges');
  t.true(edges.some((e) => e.from.role === 'access' && e.filters!.some((f) => f.ip_proto === 1)));
  t.true(ing.find((e) => e.from.role === 'ingress')!.opens);
  t.false(ing.find((e) => e.to.role === 'ingress')!.opens);
  // The pipeline compiles with it.
  t.true(compilePipeline(c, { topology: topo }).flows.length > 0);
});

test('applied to an empty node, the plan fills the owned chain before jumping into it and switches forwarding on last', (t) => {
  const c = withUplink();
  const net = ingressNet(ingressDesired(c, applianceTopology(c, null))!);
  const empty: NetObserved = { chains: new Map(), legacyRules: [], ipRules: new Map(), routes: new Map(), sysctls: new Map(), links: new Map() };
  const plan = planNet(net, empty).map((x) => x.describe);
  const firstJump = plan.findIndex((d) => d.includes(`FORWARD -i ${INGRESS_PORT} -j ${INGRESS_CHAIN}`));
  const lastInChain = Math.max(...plan.map((d, i) => (d.includes(`${INGRESS_CHAIN} `) && !d.includes('FORWARD') ? i : -1)));
  t.true(lastInChain < firstJump);
  t.regex(plan.at(-1)!, /ip_forward=1/);
});
