import test from 'ava';
import { provisionVps, type VpsDesired } from '../../../src/xray/vps/provision.js';
import { planVps, planVpsBatched } from '../../../src/xray/vps/plan.js';
import { vpsLayout } from '../../../src/xray/vps/layout.js';
import { fakeVps } from './fake-vps.js';
import { goldenMaterial } from './golden.js';
import { batching } from '../../helpers/batch-fake.js';

const material = goldenMaterial();

function desired(over: Partial<VpsDesired> = {}): VpsDesired {
  return {
    profile: 'vless-tls', port: 443, install: 'package', engineBinary: null, firewall: 'iptables', service: 'process',
    material, realityTarget: 'www.example.com:443', serverNames: ['www.example.com'], minClientVer: '4.34.0',
    upstreamDns: '1.1.1.1', layout: vpsLayout(), ...over,
  };
}

/** A VPS without systemd (the fake models the process manager): `test -d` fails, systemctl is absent. */
function vpsWithoutSystemd(over: Parameters<typeof fakeVps>[0] = {}) {
  const vps = fakeVps(over);
  vps.on(['test', '-d', '/run/systemd/system'], () => ({ code: 1 }), { times: 'any' });
  vps.on(['systemctl', /.*/, /.*/, /.*/, /.*/, /.*/], () => ({ code: 127, stderr: 'systemctl: not found\n' }), { times: 'any' });
  vps.on(['systemctl', /.*/, /.*/], () => ({ code: 127, stderr: 'systemctl: not found\n' }), { times: 'any' });
  return vps;
}

const cases: Array<[string, Parameters<typeof fakeVps>[0], Partial<VpsDesired>, boolean]> = [
  ['a converged VPS', {}, {}, true],
  ['a VPS never provisioned', {}, {}, false],
  ['a VPS without the engine package', { packages: new Set(), engines: new Map() }, {}, false],
  ['a VPS with a configured engine binary', { engines: new Map([['/opt/v2ray/v2ray', 'V2Ray 4.34.0 (user)\n']]) }, { install: 'present', engineBinary: '/opt/v2ray/v2ray' }, false],
];

for (const [name, state, over, provisioned] of cases) {
  test(`the VPS is observed in ONE round trip and planned exactly as without batching: ${name}`, async (t) => {
    const vps = vpsWithoutSystemd(state);
    if (provisioned) await provisionVps(vps, desired(over), { sleep: async () => {} });
    const direct = await planVps(vps, desired(over));
    const link = batching(vps);
    const { plan, snapshot } = await planVpsBatched(link, (service) => desired({ ...over, service }));
    t.is(link.batches, 1, 'one batched exec');
    t.deepEqual(snapshot.misses, [], 'every probe was predicted');
    t.is(link.direct, 0, 'no command or file read outside the batch');
    t.deepEqual(snapshot.misses, [], 'every probe was predicted');
    t.deepEqual(plan, direct);
    t.is(plan.unchanged, provisioned);
  });
}

test('the service manager is detected from the same batch (process here, since systemd is absent)', async (t) => {
  const vps = vpsWithoutSystemd();
  const seen: string[] = [];
  const link = batching(vps);
  await planVpsBatched(link, (service) => {
    seen.push(service);
    return desired({ service });
  });
  t.deepEqual(seen, ['systemd', 'process'], 'probes cover both managers; the plan uses the detected one');
  t.is(link.batches, 1);
});

test('a drift in the VPS egress confinement (an IPv6 rule gone) is a planned change, read in the same ONE round trip', async (t) => {
  // Before the fix plan never read the egress firewall (a no-op init missed this drift),
  // and the probes listed IPv4 tables only (an ip6tables read would cost another round trip).
  const vps = vpsWithoutSystemd();
  await provisionVps(vps, desired(), { sleep: async () => {} });
  t.true((await planVps(vps, desired({ service: 'process' }))).unchanged, 'converged after provisioning');
  const v6 = [...vps.state.net.chains].find(([k, c]) => k.startsWith('6/filter/') && c.lines.some((l) => l.includes('privroute/vps-egress')));
  t.truthy(v6, 'the egress confinement has IPv6 rules');
  v6![1].lines = v6![1].lines.filter((l) => !l.includes('privroute/vps-egress')).concat(v6![1].lines.filter((l) => l.includes('privroute/vps-egress')).slice(1));
  const link = batching(vps);
  const { plan, snapshot } = await planVpsBatched(link, (service) => desired({ service }));
  t.is(link.batches, 1);
  t.deepEqual(snapshot.misses, [], 'the ip6tables listings were predicted');
  t.is(link.direct, 0);
  t.false(plan.unchanged);
  t.deepEqual(plan.steps.filter((s) => s.outcome === 'changed').map((s) => s.step), ['vps:egress']);
});
