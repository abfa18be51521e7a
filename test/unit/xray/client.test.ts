import test from 'ava';
import { validateConfig } from '../../../src/config/index.js';
import { applyClient, clientDesiredFromConfig, clientLayout } from '../../../src/xray/client.js';
import { fakeVps } from './fake-vps.js';
import { goldenMaterial } from './golden.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const config = (profile: string) => validateConfig({ version: 1, plugins: { privacy_router: {
  chain_network: { subnet: '10.77.0.0/24' },
  wireguard: { enabled: true, container_id: 100, socket_port: 'internal_100', subnet: '10.66.0.0/24' },
  warp: { enabled: true, interface: 'warp0' },
  xray: { enabled: true, container_id: 101, socket_port: 'internal_101', profile },
  vps: { xray_server: '203.0.113.10' },
} } });

test('desired state from config: socket .101, warp0 .1, gateway .100, ports from config', (t) => {
  const d = clientDesiredFromConfig(config('vless-tls'), applianceTopology(config('vless-tls'), null), goldenMaterial(), { layout: clientLayout() });
  t.deepEqual(d.net, { socketIf: 'internal_101', clientSubnet: '10.66.0.0/24', warpIp: '10.77.0.1', gatewayIp: '10.77.0.100', transparentPort: 12345, dnsPort: 5353 });
  t.is(d.socketIp, '10.77.0.101');
  t.is(d.vpsAddress, '203.0.113.10');
  t.is(d.service, 'systemd');
});

test('REALITY on the container\'s v2ray is refused before anything is run or written', async (t) => {
  const ct = fakeVps({}, 'pct:101');
  const err = await t.throwsAsync(applyClient(ct, clientDesiredFromConfig(config('vless-reality-vision'), applianceTopology(config('vless-reality-vision'), null), goldenMaterial())));
  t.regex(err!.message, /^client:capability: pct:101: profile "vless-reality-vision" cannot be enforced by V2Ray 4\.34\.0/);
  t.deepEqual(ct.calls.filter((c) => c.kind === 'writeFile'), []);
  t.true(ct.runs().every((a) => /version$|^which$/.test(a.at(-1)!) || a[0] === 'which'));
});
