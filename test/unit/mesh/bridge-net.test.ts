/**
 * The mesh's node networking through the one net reconciler, on the fake
 * network stack (test/helpers/fake-net.ts): a first pass converges, a second
 * plans nothing, the host's own rules survive, and leaving removes every mesh
 * rule and the PRIVROUTE-MESH chain — and nothing else.
 */
import test from 'ava';
import { meshContainerNet, meshNodeNet } from '../../../src/mesh/bridge.js';
import { applyNet, observeNet, planNet, planNetRemoval, reconcileNet } from '../../../src/net/reconcile.js';
import { emptyNetState, fakeNet } from '../../helpers/fake-net.js';

const SPEC = {
  meshIface: 'netmaker',
  bridgePort: 'nm-privacy',
  uplinkCidr: '10.78.0.1/24',
  functions: [
    { function: 'vector_db', proto: 'tcp' as const, port: 8080, socket: 'internal_200', ip: '10.78.0.200', containerId: 200 },
    { function: 'bucket_storage', proto: 'tcp' as const, port: 9000, socket: 'internal_201', ip: '10.78.0.201', containerId: 201 },
  ],
};

const node = () => {
  const s = emptyNetState({ 'nm-privacy': { up: false, mtu: 1500, addrs: [] } });
  // The host's own firewall: must survive the mesh's arrival and departure.
  s.chains.get('4/filter/FORWARD')!.lines.push('-i vmbr0 -j ACCEPT');
  s.chains.get('4/nat/PREROUTING')!.lines.push('-i vmbr0 -p tcp -m tcp --dport 8006 -j ACCEPT');
  return s;
};

test('node: converges in one pass, a second plans nothing; foreign rules stay below ours', async (t) => {
  const exec = fakeNet(node());
  const d = meshNodeNet(SPEC);
  await reconcileNet(exec, d);
  t.deepEqual(planNet(d, await observeNet(exec, d)), []);
  const fwd = exec.state.chains.get('4/filter/FORWARD')!.lines;
  t.is(fwd.length, 5);
  t.true(fwd.slice(0, 4).every((l) => /-j PRIVROUTE-MESH -m comment --comment privroute\/mesh:/.test(l)));
  t.is(fwd[4], '-i vmbr0 -j ACCEPT');
  const chain = exec.state.chains.get('4/filter/PRIVROUTE-MESH')!.lines;
  t.is(chain.length, 4, 'two function accepts, the replies, DROP');
  t.regex(chain[3]!, /^-j DROP/);
  t.is(exec.state.chains.get('4/nat/PREROUTING')!.lines.filter((l) => /DNAT/.test(l)).length, 2);
  t.deepEqual(exec.state.links.get('nm-privacy'), { up: true, mtu: 1500, addrs: ['10.78.0.1/24'] });
  t.is(exec.state.sysctl['net.ipv4.ip_forward'], '1');
});

test('node: a function dropped from config loses its DNAT and accept; the rest stays', async (t) => {
  const exec = fakeNet(node());
  await reconcileNet(exec, meshNodeNet(SPEC));
  const fewer = meshNodeNet({ ...SPEC, functions: [SPEC.functions[0]!] });
  await reconcileNet(exec, fewer);
  t.deepEqual(planNet(fewer, await observeNet(exec, fewer)), []);
  t.false(exec.state.chains.get('4/nat/PREROUTING')!.lines.some((l) => l.includes('--dport 9000')));
  t.false(exec.state.chains.get('4/filter/PRIVROUTE-MESH')!.lines.some((l) => l.includes('--dport 9000')));
  t.true(exec.state.chains.get('4/filter/PRIVROUTE-MESH')!.lines.some((l) => l.includes('--dport 8080')));
});

test('leave: every mesh rule and the chain go; the host\'s rules stay; a second removal plans nothing', async (t) => {
  const exec = fakeNet(node());
  const d = meshNodeNet(SPEC);
  await reconcileNet(exec, d);
  await applyNet(exec, planNetRemoval(d, await observeNet(exec, d)));
  t.false(exec.state.chains.has('4/filter/PRIVROUTE-MESH'));
  t.deepEqual(exec.state.chains.get('4/filter/FORWARD')!.lines, ['-i vmbr0 -j ACCEPT']);
  t.deepEqual(exec.state.chains.get('4/nat/PREROUTING')!.lines, ['-i vmbr0 -p tcp -m tcp --dport 8006 -j ACCEPT']);
  t.deepEqual(exec.state.chains.get('4/filter/INPUT')!.lines, []);
  t.deepEqual(planNetRemoval(d, await observeNet(exec, d)), []);
});

test('mesh container: default route via nm-privacy, converged after one pass', async (t) => {
  const exec = fakeNet(emptyNetState({ internal_200: { up: true, mtu: 1500, addrs: ['10.78.0.200/24'] } }));
  const d = meshContainerNet('10.78.0.1', 'internal_200');
  await reconcileNet(exec, d);
  t.deepEqual(planNet(d, await observeNet(exec, d)), []);
  t.like(exec.state.routes.get('4/main')![0], { dst: 'default', gateway: '10.78.0.1', dev: 'internal_200' });
});
