/**
 * End to end: clients from the internet reach the gateway at the node's uplink
 * address (issue 13; docs/ingress.md). In the lab a wan client (the "phone")
 * dials 198.18.1.2:51820, and over IPv6 [2001:db8:1::2]:51820; the node's ingress forwards that UDP, and nothing
 * else, to CT100 (over IPv6 to the gateway's chain IPv6 address: the lab's chain has fd77::/64).
 * Proven here: the phone's traffic crosses the whole chain over both families (the
 * web server sees the VPS); a scan of the uplink's IPv4 and IPv6 addresses finds only the
 * WireGuard port not closed (WARP's own socket on the node answers the scan as closed); with the
 * gateway down the ingress forwards nothing anywhere and nothing answers; the
 * phone roams to a second wan address and port mid-session and the session goes on.
 */
import test from 'ava';
import { labDown, labNs, labUp, type Lab } from '../../src/lab/lab.js';
import { readFileSync } from 'node:fs';
import { labIfnames } from '../../src/lab/lab-config.js';
import { validateConfig } from '../../src/config/validate.js';
import { portByRole } from '../../src/topology/addressing.js';
import { applianceTopology } from '../../src/topology/topology.js';
import { siteAddr } from '../../src/lab/world.js';
import { proveChain } from '../../src/lab/proof.js';
import { UserspaceBackend } from '../../src/tunnel/device/uapi-backend.js';
import { isWireguardGoFor, pidsWhere, sleep, uniquePrefix } from '../../src/lab/harness/index.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';
import { assertNoLeak, captureLeaks, chainWitnesses, clientTraffic, INGRESS_PORT_NUMBER, ND, proveChainEventually } from './witness.js';
import { samplePorts, scanPorts } from './scan.js';

const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'tcpdump', 'dnsmasq', 'curl', 'dig', 'python3'),
);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('in');
let lab: Lab;

const NODE = siteAddr('node');
const VPS = siteAddr('vps');
const LP = INGRESS_PORT_NUMBER;

test.before(async () => {
  if (skip) return;
  lab = await labUp({ prefix, log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
});

/** Prove the chain from the phone, retrying while WireGuard re-handshakes. */
const provePhone = () => proveChainEventually(lab.world, lab.world.phone);

t('the wan client dials the node uplink address and reaches the web server through the whole chain', async (tt) => {
  tt.is(lab.phone.conf.peer.endpoint, `${NODE.v4}:${LP}`, 'add-client hands out the uplink address');
  const p = await provePhone();
  tt.true(p.http.ok, `http ${p.http.status}`);
  tt.is(p.http.exitAddress, VPS.v4, 'the web server sees the VPS');
  tt.true(p.dns.ok && p.dns.resolverSawFrom.every((a) => a === VPS.v4), JSON.stringify(p.dns));
  // The access client on the LAN port still works alongside.
  tt.true((await proveChain(lab.world, { dnsServer: '10.13.13.1', timeoutSec: 4 })).ok, 'the access-port client proves the chain too');
  tt.regex((await lab.privroute(['plan'])).stdout, /nothing to change/);
});

/** The ingress port's chain IPv6 address (what the gateway sees an IPv6 wan client as, after the node's SNAT). */
function ingressIp6(): string {
  const cfg = validateConfig(JSON.parse(readFileSync(lab.configFile, 'utf8')));
  const ip6 = portByRole(applianceTopology(cfg, null), 'ingress')?.ip6;
  if (!ip6) throw new Error('the lab chain has no IPv6 (chain_network.subnet6)');
  return ip6;
}

t('over IPv6: the wan client dials the node uplink IPv6 address and reaches the web server through the whole chain', async (tt) => {
  const phone = lab.world.phone;
  const wg = UserspaceBackend.forInterface(labIfnames(prefix).phone);
  const peer = (await wg.get()).peers[0]!;
  const via4 = siteAddr('phone', 1);
  // IPv4 to the node is cut (no host route outside the tunnel): only the IPv6 path is left.
  await phone.run(['ip', 'route', 'del', NODE.v4]);
  await phone.run(['ip', '-6', 'route', 'replace', NODE.v6, 'via', via4.v6, 'dev', 'up0']);
  const set = (endpoint: string) => wg.set({ peers: [{ kind: 'upsert', peer: { publicKey: peer.publicKey, presharedKey: lab.phone.conf.peer.presharedKey, allowedIps: peer.allowedIps, endpoint, persistentKeepalive: lab.phone.conf.peer.keepalive } }] });
  try {
    await set(`[${NODE.v6}]:${LP}`);
    const p = await provePhone();
    tt.true(p.http.ok, `http ${p.http.status}`);
    tt.is(p.http.exitAddress, VPS.v4, 'the web server sees the VPS');
    // The gateway has the phone at the ingress port's IPv6 address: the outer WireGuard came in over IPv6.
    const gw = await UserspaceBackend.forInterface(labIfnames(prefix).gateway).get();
    const at = gw.peers.find((x) => x.endpoint?.startsWith(`[${ingressIp6()}]:`));
    tt.truthy(at, `gateway peers: ${JSON.stringify(gw.peers.map((x) => x.endpoint))}`);
  } finally {
    await phone.run(['ip', '-6', 'route', 'del', NODE.v6], { okCodes: [0, 2] });
    await phone.run(['ip', 'route', 'replace', NODE.v4, 'via', via4.v4, 'dev', 'up0']);
    await set(`${NODE.v4}:${LP}`);
  }
  tt.true((await provePhone()).ok, 'back on IPv4, the wan client proves the chain again');
});

t('with every hop up, the wan client leaks nothing outside the chain', async (tt) => {
  const caps = await chainWitnesses(lab.scope, lab.world);
  const r = await clientTraffic(lab.world.phone);
  tt.true(r.httpOk);
  await assertNoLeak(tt, caps);
});

t('a scan of the uplink address from the wan finds only the WireGuard port (no TCP port, no other privroute port)', async (tt) => {
  const r = lab.world;
  // The node answers every closed UDP port with ICMP (its own namespace's limit lifted, or silence would look open).
  await r.node.run(['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=100000']);
  // WARP's wireguard-go on the node listens on every address, on the port privroute pins: read it, scan it too.
  const warpPort = (await UserspaceBackend.forInterface(labIfnames(prefix).warp).get()).listenPort;
  tt.is(warpPort, 24080, 'warp.listen_port (default) is what the tunnel listens on');
  // Every port privroute could open: WireGuard, XRay (socks, transparent, dns, server), the daemon, OVSDB/OpenFlow, ssh, dns, the WARP edge's.
  const privroutePorts = [LP, 1080, 12345, 5353, 443, 9477, 6640, 6653, 22, 53, 2408, 8080, warpPort];
  const found = await scanPorts(r.wan, NODE.v4, [...privroutePorts, ...samplePorts()]);
  tt.deepEqual(found.tcp, {}, 'no TCP port is open or filtered');
  // WARP's own socket answers everyone but the WARP edge as a closed port (before, it was open|filtered here).
  tt.deepEqual(found.udp, { [String(LP)]: 'open|filtered' });
  // The uplink's IPv6 address: the same list (ICMPv6 errors unlimited too, or silence would look open).
  await r.node.run(['sysctl', '-q', '-w', 'net.ipv6.icmp.ratelimit=0']);
  const found6 = await scanPorts(r.wan, NODE.v6, [...privroutePorts, ...samplePorts()]);
  tt.deepEqual(found6.tcp, {}, 'IPv6: no TCP port is open or filtered');
  tt.deepEqual(found6.udp, { [String(LP)]: 'open|filtered' }, 'IPv6: only WireGuard');
});

t('gateway down: the ingress forwards nothing anywhere and nothing answers; init repairs it', async (tt) => {
  const node = lab.world.node;
  const caps = await chainWitnesses(lab.scope, lab.world);
  // Anything the node sends back to the wan from the WireGuard port or as ICMP is an answer.
  const answers = await captureLeaks(lab.scope, lab.world.wan, 'wn-node', `src host ${NODE.v4} and (udp src port ${LP} or icmp)`, node, siteAddr('node', 1).v4);
  // Over IPv6 likewise (the link's own neighbour discovery is no answer).
  const answers6 = await captureLeaks(lab.scope, lab.world.wan, 'wn-node', `src host ${NODE.v6} and (udp src port ${LP} or (icmp6 and not (${ND})))`, node, siteAddr('node', 1).v4);
  // Into the chain: the ingress's packets must never reach the next hop (CT101).
  const ct100 = labNs(prefix, 'ct100');
  const intoChain = await captureLeaks(lab.scope, labNs(prefix, 'ct101'), 'internal_101', `udp port ${LP}`, ct100, '10.77.0.101');
  for (const pid of pidsWhere(isWireguardGoFor(labIfnames(prefix).gateway))) process.kill(pid, 'SIGKILL');
  // And the gateway's socket down, as a stopped container leaves it: the node's neighbour lookup fails.
  await ct100.run(['ip', 'link', 'set', 'dev', 'internal_100', 'down']);
  await sleep(300);
  const during = await clientTraffic(lab.world.phone);
  tt.false(during.httpOk, 'the wan client fails closed');
  for (let i = 0; i < 5; i++) {
    await lab.world.wan.run(['python3', '-c', `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b'\\x01'+b'\\x00'*147,('${NODE.v4}',${LP}))`]);
    await lab.world.wan.run(['python3', '-c', `import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.sendto(b'\\x01'+b'\\x00'*147,('${NODE.v6}',${LP}))`]);
    await sleep(700);
  }
  // Wait past the neighbour timeout, when a node would send "host unreachable".
  await sleep(4000);
  const a = await answers.finish();
  tt.is(a.leaks, 0, `answers to the wan:\n${a.lines.join('\n')}`);
  tt.true(a.control >= 1);
  const a6 = await answers6.finish();
  tt.is(a6.leaks, 0, `answers to the wan over IPv6:\n${a6.lines.join('\n')}`);
  tt.true(a6.control >= 1);
  await assertNoLeak(tt, caps);
  await ct100.run(['ip', 'link', 'set', 'dev', 'internal_100', 'up']);
  const c = await intoChain.finish();
  tt.true(c.control >= 1, 'the CT101 capture saw its control packet');
  tt.is(c.leaks, 0, `into the chain:\n${c.lines.join('\n')}`);
  const init = await lab.privroute(['init'], { okCodes: [0, 1] });
  tt.is(init.code, 0, init.stderr);
  tt.true((await provePhone()).ok, 'after init the wan client proves the chain again');
});

t('roaming: the wan client moves to a second wan address and port mid-session; the session continues', async (tt) => {
  const phone = lab.world.phone;
  const wg = UserspaceBackend.forInterface(labIfnames(prefix).phone);
  tt.true((await provePhone()).ok);
  const before = (await wg.get()).peers[0]!;
  const gatewayEndpointBefore = (await UserspaceBackend.forInterface(labIfnames(prefix).gateway).get()).peers.find((x) => x.endpoint?.startsWith('10.77.0.3:'))?.endpoint;
  const second = siteAddr('phone').v4.replace(/\.2$/, '.3');
  // Move, as a phone changing networks: the old address gone (its routes with it), the new one up, then a new source port.
  await phone.run(['ip', 'addr', 'del', `${siteAddr('phone').v4}/24`, 'dev', 'up0']);
  await phone.run(['ip', 'addr', 'add', `${second}/24`, 'dev', 'up0']);
  await phone.run(['ip', 'route', 'replace', NODE.v4, 'via', siteAddr('phone', 1).v4, 'dev', 'up0']);
  const oldPort = (await wg.get()).listenPort;
  await wg.setListenPort(oldPort === 40000 ? 40001 : 40000);
  const p = await provePhone();
  tt.true(p.ok, `after roaming: ${JSON.stringify(p)}`);
  const after = (await wg.get()).peers[0]!;
  tt.is(after.publicKey, before.publicKey);
  // The gateway followed the client to its new outer address (a new mapping on the ingress) on the same peer.
  const gw = UserspaceBackend.forInterface(labIfnames(prefix).gateway);
  const peer = (await gw.get()).peers.find((x) => x.endpoint?.startsWith('10.77.0.3:') && x.rxBytes > 0);
  tt.truthy(peer, 'the gateway has the wan client at the ingress address');
  tt.not(peer!.endpoint, gatewayEndpointBefore, 'the gateway sees the roamed client at a new ingress mapping');
});
