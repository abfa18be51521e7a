import test from 'ava';
import { checkConfig } from '../../../src/config/validate.js';
import { seed } from './_seed.js';

const R = 'plugins.privacy_router';

/** Apply `mutate` to a seed copy and return the problem paths. */
function problemsAfter(mutate: (r: any) => void): { path: string; value?: unknown; expected: string }[] {
  const doc = seed();
  mutate(doc.plugins.privacy_router);
  return checkConfig(doc).problems;
}

const cases: [string, (r: any) => void, string, RegExp][] = [
  ['endpoint auto without an uplink to read it from', (r) => (r.wireguard.endpoint = 'auto'), 'wireguard.uplink', /"auto"/],
  ['an uplink that is one of privroute\'s own ports', (r) => ((r.wireguard.uplink = 'warp0'), (r.wireguard.endpoint = 'auto')), 'wireguard.uplink', /not one of privroute's own ports/],
  ['the WARP socket on the port the ingress forwards to the gateway', (r) => (r.warp = { ...r.warp, listen_port: 51820 }), 'warp.listen_port', /different from wireguard.listen_port \(51820\)/],
  ['an endpoint that is neither host:port nor auto', (r) => (r.wireguard.endpoint = 'automatic'), 'wireguard.endpoint', /or "auto"/],
  ['function route to an undeclared socket', (r) => (r.openflow.function_routing[0].target_socket = 'internal_299'), 'openflow.function_routing[0].target_socket', /declared/],
  ['a chain network too small for the gateway\'s encrypted packets', (r) => (r.chain_network = { mtu: 1420 }), 'chain_network.mtu', /at least wireguard.mtu \+ 80 = 1500/],
  ['two containers sharing an id', (r) => (r.containers[1].id = 200), 'containers[1].id', /unique container id/],
  ['two sockets sharing a name', (r) => (r.socket_networking.mesh_sockets[1].name = 'internal_200'), 'socket_networking.mesh_sockets[1].name', /not used by another socket/],
  ['flow matching an unknown port', (r) => (r.openflow.privacy_flows[0].match_fields.in_port = 'eth9'), 'openflow.privacy_flows[0].match_fields.in_port', /declared port/],
  ['flow with an unknown match field', (r) => (r.openflow.privacy_flows[0].match_fields.nw_color = 'red'), 'openflow.privacy_flows[0].match_fields.nw_color', /unknown match field/],
  ['flow with a malformed action', (r) => (r.openflow.privacy_flows[1].actions = ['output:warp0', 'normal']), 'openflow.privacy_flows[1].actions[1]', /output:<port>/],
  ['flow output to an unknown port', (r) => (r.openflow.privacy_flows[2].actions = ['output:eth0']), 'openflow.privacy_flows[2].actions[0]', /undeclared port/],
  ['flow with a bad resubmit', (r) => (r.openflow.privacy_flows[2].actions = ['resubmit(,300)']), 'openflow.privacy_flows[2].actions[0]', /resubmit/],
  ['duplicate function ports', (r) => (r.openflow.function_routing[1].match_fields = { tcp_dst: 8080 }), 'openflow.function_routing[1].match_fields', /already routed/],
  ['function route with two match fields', (r) => (r.openflow.function_routing[1].match_fields = { tcp_dst: '1', udp_dst: '2' }), 'openflow.function_routing[1].match_fields', /exactly one/],
  ['obfuscation level out of range', (r) => (r.openflow.obfuscation_level = 4), 'openflow.obfuscation_level', /0\.\.3/],
  ['invalid subnet', (r) => (r.chain_network = { subnet: '10.77.0.1/24' }), 'chain_network.subnet', /zero host bits/],
  ['overlapping subnets', (r) => (r.wireguard.subnet = '10.78.0.0/25'), 'wireguard.subnet', /overlap mesh_network/],
  ['invalid cron', (r) => (r.daemon = { schedules: { rotate_warp: '0 25 * * *' } }), 'daemon.schedules.rotate_warp', /cron/],
  ['port 0', (r) => (r.wireguard.listen_port = 0), 'wireguard.listen_port', /1\.\.65535/],
  ['client DNS not an IP', (r) => (r.wireguard.dns = ['dns.google']), 'wireguard.dns', /IP addresses/],
  ['interface name with a space', (r) => (r.warp.interface = 'warp 0'), 'warp.interface', /interface name/],
  ['interface name of 16 chars', (r) => (r.wireguard.interface = 'abcdefghijklmnop'), 'wireguard.interface', /1-15/],
  ['xray socket not a declared privacy socket', (r) => (r.xray.socket_port = 'internal_109'), 'xray.socket_port', /privacy_sockets/],
  ['container socket not declared', (r) => (r.containers[0].socket_port = 'internal_777'), 'containers[0].socket_port', /declared in socket_networking/],
  ['socket in the wrong list', (r) => (r.socket_networking.mesh_sockets[0].port_type = 'privacy'), 'socket_networking.mesh_sockets[0].port_type', /"mesh"/],
  ['node-side name clash', (r) => (r.warp.interface = 'ovsbr0'), 'warp.interface', /distinct/],
  ['public status endpoint without token', (r) => (r.daemon = { listen: '0.0.0.0:9477' }), 'daemon.token_file', /not loopback/],
  ['bad endpoint', (r) => (r.wireguard.endpoint = 'vpn.example.com'), 'wireguard.endpoint', /host:port/],
  ['bad host key fingerprint', (r) => (r.vps.ssh = { host_key: 'MD5:aa:bb' }), 'vps.ssh.host_key', /SHA256/],
  ['container element missing a key', (r) => delete r.containers[0].name, 'containers[0].name', /required/],
];

for (const [title, mutate, path, expected] of cases) {
  test(`rejects: ${title}`, (t) => {
    const problems = problemsAfter(mutate);
    const hit = problems.find((p) => p.path === `${R}.${path}`);
    t.truthy(hit, `expected a problem at ${path}, got ${JSON.stringify(problems)}`);
    t.regex(hit!.expected, expected);
  });
}

test('ovs-ofctl aliases and protocol shorthands are accepted in privacy_flows', (t) => {
  const problems = problemsAfter((r) => {
    r.openflow.privacy_flows.push(
      { priority: 50, match_fields: { tcp: '', nw_src: '10.13.13.0/24', tp_dst: '443', in_port: 'internal_100' }, actions: ['drop'] },
      { priority: 40, match_fields: { dl_src: '02:00:00:00:00:01', ip: 1, udp_dst: 53 }, actions: ['resubmit(,10)'] },
      { priority: 30, match_fields: { arp: '', in_port: 'nm-privacy' }, actions: ['output:internal_200'] },
    );
  });
  t.deepEqual(problems, []);
});

test('IPv6 subnets are checked for overlap too', (t) => {
  const problems = problemsAfter((r) => {
    r.chain_network = { subnet6: 'fd77::/64' };
    r.wireguard.subnet6 = 'fd77::/48';
  });
  t.deepEqual(problems.map((p) => p.path), [`${R}.wireguard.subnet6`]);
});
