/**
 * Bench baseline: the chain of ../shared/reference/chain-recipe.md built by hand
 * in its own namespaces (own prefix, own private OVS), with the same binaries
 * privroute drives (ovs-vswitchd userspace datapath, wireguard-go, v2ray) but
 * none of privroute's wiring: one `actions=NORMAL` flow on the bridge, the
 * recipe's policy routing, REDIRECT, MSS clamps and minimal v2ray configs.
 * Everything is argv (no shell); keys go to wireguard-go over its UAPI socket,
 * the TLS key to a 0600 file. All of it is registered with the scope (closed by
 * the caller, also on failure).
 *
 *   cli ──wg(1420)──► OVS ──► ct100 (wireguard-go, ip rule iif wg → ct101) ──► OVS ──►
 *   ct101 (REDIRECT → v2ray dokodemo-door → VLESS/TLS) ──► OVS ──► node warp0 ──►
 *   node wireguard-go (1280, masquerade, clamp) ──► wan ──► edge (wireguard-go, masquerade) ──►
 *   wan ──► vps (v2ray VLESS/TLS server, freedom) ──► wan ──► inet (iperf3 server)
 * The node, edge, VPS and inet sit on a `wan` router namespace as in the lab's world, so
 * the underlay's forwarding costs the same in both chains.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NetnsExec } from '../../src/host/netns.js';
import { createNetns, startOvs, startProcess, vethPair, waitFor, type Scope } from '../../src/lab/harness/index.js';
import { UserspaceBackend } from '../../src/tunnel/device/uapi-backend.js';
import { generateKeyPair, type WgKeyPair } from '../../src/warp/keys.js';
import { selfSignedEd25519 } from '../../src/xray/x509.js';

/** Addresses of the hand-built chain (private to its namespaces). */
const A = {
  bridgeNet: '10.98.0', // node warp0 .1, client .10, ct100 .100, ct101 .101
  tunNet: '10.98.13', // gateway wg .1, client wg .2
  warpTun: '172.31.0', // edge .1, node .2
  // Sites on the `wan` router (router .1, site .2), as the lab's world has them (src/lab/world.ts).
  node: '10.97.1',
  edge: '10.97.2',
  vps: '10.97.3',
  inet: '10.97.4',
};

/** A built hand chain: where to run iperf3 from and to, and how to label its processes. */
export interface HandChain {
  client: NetnsExec;
  inet: NetnsExec;
  ct100: NetnsExec;
  /** The web/iperf address in inet (through the whole chain). */
  webAddr: string;
  /** The gateway's tunnel address in CT100 (one wireguard-go hop). */
  hopAddr: string;
  /** wireguard-go interface names by role. */
  ifnames: Record<'client' | 'gateway' | 'warp' | 'edge', string>;
  /** The scope dir (v2ray configs and ovs-vswitchd paths live under it). */
  dir: string;
  /** Every namespace by role (wan, node, cli, ct100, ct101, edge, vps, inet). */
  ns: Record<string, NetnsExec>;
}

/** One wireguard-go in `ns` with a key, a listen port and one peer; then address, MTU, up. */
async function wg(
  scope: Scope,
  ns: NetnsExec,
  iface: string,
  o: { keys: WgKeyPair; listenPort?: number; peer: { publicKey: string; allowedIps: string[]; endpoint?: string }; addr: string; mtu: number },
): Promise<void> {
  await startProcess(scope, { name: `hand-${iface}`, ns: ns.name, argv: ['wireguard-go', '-f', iface], env: { LOG_LEVEL: 'error' } });
  const uapi = UserspaceBackend.forInterface(iface);
  await waitFor(`wireguard-go ${iface}`, () => uapi.alive());
  await uapi.set({ privateKey: o.keys.privateKey, ...(o.listenPort ? { listenPort: o.listenPort } : {}), peers: [{ kind: 'upsert', peer: o.peer }] });
  await ns.run(['ip', 'addr', 'add', o.addr, 'dev', iface]);
  await ns.run(['ip', 'link', 'set', 'dev', iface, 'mtu', String(o.mtu), 'up']);
}

/** v2ray with `config` (written 0600 under the scope dir), waiting for `port` to listen. */
async function v2ray(scope: Scope, ns: NetnsExec, name: string, config: unknown, port: number): Promise<void> {
  const file = path.join(scope.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  await startProcess(scope, { name, ns: ns.name, argv: ['v2ray', '-config', file] });
  await waitFor(`${name} listening`, async () => (await ns.run(['ss', '-Hltn', `( sport = :${port} )`])).stdout.includes(`:${port}`), 15_000);
}

/** Build the recipe's chain under `scope` (prefix ≤ 6 chars: interface names stay ≤ 15). */
export async function buildHandChain(scope: Scope): Promise<HandChain> {
  const p = scope.prefix;
  const ifnames = { client: `${p}cl`, gateway: `${p}gw`, warp: `${p}wp`, edge: `${p}ed` };
  const ns: Record<string, NetnsExec> = {};
  for (const n of ['wan', 'node', 'cli', 'ct100', 'ct101', 'edge', 'vps', 'inet']) {
    ns[n] = await createNetns(scope, n, { forwarding: ['wan', 'node', 'ct100', 'edge'].includes(n) });
  }
  const { wan, node, cli, ct100, ct101, edge, vps, inet } = ns as Record<string, NetnsExec>;
  // The node: private OVS, one bridge, internal ports; warp0 stays in the node.
  const ovs = await startOvs(scope, { ns: node!.name });
  const br = `${p}br`;
  await ovs.addBridge(br);
  const ports: [string, NetnsExec, string][] = [
    [`${p}w0`, node!, `${A.bridgeNet}.1`],
    [`${p}c`, cli!, `${A.bridgeNet}.10`],
    [`${p}i100`, ct100!, `${A.bridgeNet}.100`],
    [`${p}i101`, ct101!, `${A.bridgeNet}.101`],
  ];
  for (const [port, where, addr] of ports) {
    await ovs.vsctl(['add-port', br, port, '--', 'set', 'Interface', port, 'type=internal']);
    await waitFor(`internal port ${port}`, async () => (await node!.run(['ip', 'link', 'show', 'dev', port], { okCodes: [0, 1] })).code === 0);
    if (where !== node) await node!.run(['ip', 'link', 'set', 'dev', port, 'netns', where.name]);
    await where.run(['ip', 'addr', 'add', `${addr}/24`, 'dev', port]);
    await where.run(['ip', 'link', 'set', 'dev', port, 'up']);
  }
  // Minimal flows: the bridge as a plain switch (the recipe's isolation flows are not per-packet costs worth modelling).
  await ovs.ofctl(['add-flow', br, 'priority=0,actions=NORMAL']);
  // The underlay: node, edge, vps and inet each on the wan router (uplink `${p}up`, default via the router).
  for (const [site, where] of [['node', node!], ['edge', edge!], ['vps', vps!], ['inet', inet!]] as const) {
    const net = A[site];
    await vethPair(scope, { ns: wan!.name, name: `${p}w${site[0]}`, cidr: `${net}.1/24` }, { ns: where.name, name: `${p}up`, cidr: `${net}.2/24` });
    await where.run(['ip', 'route', 'add', 'default', 'via', `${net}.1`]);
  }

  const k = { client: generateKeyPair(), gateway: generateKeyPair(), warp: generateKeyPair(), edge: generateKeyPair() };
  // CT100: the client tunnel (MTU 1420); everything from it goes to CT101 (table 100); MSS clamp.
  await wg(scope, ct100!, ifnames.gateway, { keys: k.gateway, listenPort: 51820, peer: { publicKey: k.client.publicKey, allowedIps: [`${A.tunNet}.2/32`] }, addr: `${A.tunNet}.1/24`, mtu: 1420 });
  await ct100!.run(['ip', 'rule', 'add', 'iif', ifnames.gateway, 'lookup', '100']);
  await ct100!.run(['ip', 'route', 'add', 'default', 'via', `${A.bridgeNet}.101`, 'dev', `${p}i100`, 'table', '100']);
  await ct100!.run(['iptables', '-w', '-t', 'mangle', '-A', 'FORWARD', '-i', ifnames.gateway, '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--set-mss', '1380']);
  // The client device.
  await wg(scope, cli!, ifnames.client, {
    keys: k.client,
    peer: { publicKey: k.gateway.publicKey, allowedIps: ['0.0.0.0/0'], endpoint: `${A.bridgeNet}.100:51820` },
    addr: `${A.tunNet}.2/24`,
    mtu: 1420,
  });
  await cli!.run(['ip', 'route', 'add', `${A.inet}.0/24`, 'dev', ifnames.client]);
  // The VPS: VLESS/TLS server (pinned self-signed certificate with the address as SAN), freedom out.
  const vpsAddr = `${A.vps}.2`;
  const tls = selfSignedEd25519({ subject: vpsAddr, seed: randomBytes(32), serial: randomBytes(16), now: new Date() });
  const certFile = path.join(scope.dir, 'vps.crt');
  const keyFile = path.join(scope.dir, 'vps.key');
  writeFileSync(certFile, tls.certPem, { mode: 0o644 });
  writeFileSync(keyFile, tls.keyPem, { mode: 0o600 });
  const uuid = randomUUID();
  await v2ray(scope, vps!, 'hand-v2ray-vps', {
    log: { loglevel: 'warning' },
    inbounds: [{ listen: vpsAddr, port: 443, protocol: 'vless', settings: { clients: [{ id: uuid }], decryption: 'none' }, streamSettings: { network: 'tcp', security: 'tls', tlsSettings: { certificates: [{ certificateFile: certFile, keyFile }] } } }],
    outbounds: [{ protocol: 'freedom' }],
  }, 443);
  // CT101: REDIRECT the client subnet's TCP to dokodemo-door; no forwarding; default via warp0; back to clients via CT100.
  await ct101!.run(['ip', 'route', 'add', 'default', 'via', `${A.bridgeNet}.1`]);
  await ct101!.run(['ip', 'route', 'add', `${A.tunNet}.0/24`, 'via', `${A.bridgeNet}.100`]);
  await ct101!.run(['iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', '-i', `${p}i101`, '-s', `${A.tunNet}.0/24`, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '12345']);
  await v2ray(scope, ct101!, 'hand-v2ray-ct101', {
    log: { loglevel: 'warning' },
    inbounds: [{ listen: `${A.bridgeNet}.101`, port: 12345, protocol: 'dokodemo-door', settings: { network: 'tcp', followRedirect: true } }],
    outbounds: [{
      protocol: 'vless',
      settings: { vnext: [{ address: vpsAddr, port: 443, users: [{ id: uuid, encryption: 'none' }] }] },
      streamSettings: { network: 'tcp', security: 'tls', tlsSettings: { serverName: vpsAddr, disableSystemRoot: true, certificates: [{ usage: 'verify', certificateFile: certFile }] } },
    }],
  }, 12345);
  // The edge: WARP stand-in peer, masquerading toward the VPS.
  await wg(scope, edge!, ifnames.edge, { keys: k.edge, listenPort: 2408, peer: { publicKey: k.warp.publicKey, allowedIps: [`${A.warpTun}.2/32`] }, addr: `${A.warpTun}.1/24`, mtu: 1420 });
  await edge!.run(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', `${p}up`, '-j', 'MASQUERADE']);
  // The node: warp0's traffic into the WARP tunnel only (MTU 1280, masquerade, MSS clamp to PMTU).
  await wg(scope, node!, ifnames.warp, { keys: k.warp, peer: { publicKey: k.edge.publicKey, allowedIps: ['0.0.0.0/0'], endpoint: `${A.edge}.2:2408` }, addr: `${A.warpTun}.2/32`, mtu: 1280 });
  await node!.run(['ip', 'rule', 'add', 'iif', `${p}w0`, 'lookup', '200']);
  await node!.run(['ip', 'route', 'add', 'default', 'dev', ifnames.warp, 'table', '200']);
  await node!.run(['ip', 'route', 'add', 'blackhole', 'default', 'metric', '4294967295', 'table', '200']);
  await node!.run(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', ifnames.warp, '-j', 'MASQUERADE']);
  await node!.run(['iptables', '-w', '-t', 'mangle', '-A', 'FORWARD', '-o', ifnames.warp, '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu']);
  return { client: cli!, inet: inet!, ct100: ct100!, webAddr: `${A.inet}.2`, hopAddr: `${A.tunNet}.1`, ifnames, dir: scope.dir, ns };
}
