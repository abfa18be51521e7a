import test from 'ava';
import { checkConfig, validateConfig } from '../../../src/config/validate.js';
import { InputError, isPrivrouteError } from '../../../src/core/errors.js';
import { seed } from './_seed.js';

const R = 'plugins.privacy_router';

test('the seed example passes as-is', (t) => {
  const { config, problems } = checkConfig(seed());
  t.deepEqual(problems, []);
  t.truthy(config);
  t.is(config!.plugins.privacy_router.bridge_name, 'ovsbr0');
  t.is(config!.plugins.privacy_router.openflow.obfuscation_level, 2);
});

test('defaults fill every added field', (t) => {
  const r = validateConfig(seed()).plugins.privacy_router;
  t.is(r.runtime.kind, 'pct');
  t.is(r.ovs.db, 'unix:/var/run/openvswitch/db.sock');
  t.is(r.ovs.rundir, '/var/run/openvswitch');
  t.is(r.ovs.datapath_type, 'system');
  t.is(r.ovs.fail_mode, 'secure');
  t.deepEqual(r.chain_network, { subnet: '10.77.0.0/24', subnet6: null, mtu: 1500 });
  t.is(r.mesh_network.subnet, '10.78.0.0/24');
  t.is(r.wireguard.subnet, '10.13.13.0/24');
  t.is(r.wireguard.interface, 'wg0');
  t.is(r.wireguard.mtu, 1420);
  t.is(r.wireguard.persistent_keepalive, 25);
  t.is(r.wireguard.backend, 'userspace');
  t.is(r.wireguard.endpoint, null);
  t.is(r.warp.api_base, 'https://api.cloudflareclient.com/v0a1922');
  t.is(r.warp.tunnel_interface, 'wgwarp');
  t.is(r.warp.mtu, 1280);
  t.is(r.warp.route_table, 51820);
  t.is(r.xray.profile, 'vless-reality-vision');
  t.is(r.xray.transparent_port, 12345);
  t.is(r.xray.dns_port, 5353);
  t.is(r.xray.upstream_dns, '1.1.1.1');
  t.is(r.xray.probe_url, 'https://www.cloudflare.com/cdn-cgi/trace');
  t.deepEqual(r.vps.ssh, { host: 'vps.example.com', port: 22, user: 'root', key_file: null, host_key: null });
  t.is(r.vps.engine_install, 'package');
  t.is(r.vps.reality_target, 'www.microsoft.com:443');
  t.deepEqual(r.vps.reality_server_names, ['www.microsoft.com']);
  t.is(r.daemon.listen, '127.0.0.1:9477');
  t.deepEqual(r.daemon.schedules, {
    health: '*/1 * * * *', rotate_warp: '0 4 * * 0', rotate_xray: '0 5 * * 0', rotate_mac: '0 3 * * *', expire_clients: '*/5 * * * *',
  });
});

test('an empty router section is valid (safe defaults everywhere)', (t) => {
  const { config, problems } = checkConfig({ version: 1, plugins: { privacy_router: {} } });
  t.deepEqual(problems, []);
  t.is(config!.plugins.privacy_router.vps.ssh.host, null, 'no VPS configured: ssh host stays null');
  t.deepEqual(config!.plugins.privacy_router.socket_networking.privacy_sockets.map((s) => s.name), ['internal_100', 'internal_101']);
});

test('explicit values win over derived defaults', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.vps.ssh = { host: '192.0.2.9', port: 2222 };
  doc.plugins.privacy_router.xray.vps_port = 8443;
  const r = validateConfig(doc).plugins.privacy_router;
  t.is(r.vps.ssh.host, '192.0.2.9');
  t.is(r.vps.ssh.port, 2222);
  t.is(r.xray.vps_port, 8443);
});

test('the loaded config is deep-frozen', (t) => {
  const c = validateConfig(seed());
  t.true(Object.isFrozen(c));
  t.true(Object.isFrozen(c.plugins.privacy_router.containers[0]));
  t.true(Object.isFrozen(c.plugins.privacy_router.openflow.function_routing[0]!.match_fields));
  t.throws(() => {
    (c.plugins.privacy_router as any).bridge_name = 'x';
  });
});

test('every problem is reported at once, as an InputError with exit code 2', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.xray.socks_port = 70000;
  doc.plugins.privacy_router.wireguard.interface = 'this-is-too-long-0';
  doc.plugins.privacy_router.containers[1].id = 200;
  const e = t.throws(() => validateConfig(doc, 'x.json'), { instanceOf: InputError }) as InputError;
  t.true(isPrivrouteError(e));
  t.is(e.exitCode, 2);
  t.deepEqual(
    e.problems.map((p) => p.path).sort(),
    [`${R}.containers[1].id`, `${R}.wireguard.interface`, `${R}.xray.socks_port`].sort(),
  );
  const sock = e.problems.find((p) => p.path.endsWith('socks_port'))!;
  t.is(sock.value, 70000);
  t.regex(sock.expected, /1\.\.65535/);
  t.regex(e.message, /xray\.socks_port: got 70000/);
});

test('strings are not coerced into numbers or booleans', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.xray.socks_port = '1080';
  doc.plugins.privacy_router.wireguard.enabled = 'false';
  const { problems } = checkConfig(doc);
  t.deepEqual(problems.map((p) => [p.path, p.value]), [
    [`${R}.wireguard.enabled`, 'false'],
    [`${R}.xray.socks_port`, '1080'],
  ]);
});

test('unknown keys are errors naming their full path', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.wireguard.listen_prot = 1;
  doc.plugins.privacy_router.openflow.privacy_flows[0].prio = 1;
  doc.plugins.other = {};
  const paths = checkConfig(doc).problems.map((p) => p.path).sort();
  t.deepEqual(paths, [`${R}.openflow.privacy_flows[0].prio`, `${R}.wireguard.listen_prot`, 'plugins.other'].sort());
});

test('a section of the wrong type is named, not a crash', (t) => {
  const doc = seed();
  doc.plugins.privacy_router.warp = 'warp0';
  doc.plugins.privacy_router.bridge_name = { name: 'x' };
  const { problems } = checkConfig(doc);
  t.deepEqual(problems.map((p) => p.path).sort(), [`${R}.bridge_name`, `${R}.warp`]);
});

test('non-object documents are refused', (t) => {
  for (const doc of [null, [], 'x', 3]) {
    const { config, problems } = checkConfig(doc);
    t.is(config, undefined);
    t.is(problems.length, 1);
  }
});

test('warp.api_base must be https (a plain http: base used to pass config check)', (t) => {
  const doc = seed();
  (doc as any).plugins.privacy_router.warp = { ...(doc as any).plugins.privacy_router.warp, api_base: 'http://api.cloudflareclient.com/v0a1922' };
  const { problems } = checkConfig(doc);
  t.true(problems.some((p) => p.path === `${R}.warp.api_base` && /https/.test(p.expected)), JSON.stringify(problems));
  // probe_url is fetched *through* the chain and may be plain http.
  const ok = seed();
  (ok as any).plugins.privacy_router.xray = { ...(ok as any).plugins.privacy_router.xray, probe_url: 'http://example.com/' };
  t.deepEqual(checkConfig(ok).problems, []);
});
