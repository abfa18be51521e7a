/**
 * The mesh end to end on two appliance nodes (root): a wan router, a Netmaker
 * server STAND-IN, and two nodes, each with its own private OVS, privacy and
 * mesh container namespaces and HTTP responders in the mesh containers. The
 * REAL `privroute init` joins each node through the netclient STAND-IN (real
 * wireguard-go between the nodes): node A with a 0600 token file, node B with
 * the server URL + master-key file. Then real requests cross the mesh:
 * 8080 → vector_db, 9000 → bucket_storage, another port times out, both ways;
 * a tcpdump witness in a mesh container counts 0 packets from the privacy
 * socket that tried to reach it. Before that, the three ways a join can fail
 * (bad token, unreachable server, missing netclient) each leave nothing behind.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../../src/host/local.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { createNetns, Scope, startOvs, uniquePrefix, vethPair, waitFor } from '../../../src/lab/harness/index.js';
import { seedConfigPath } from '../../../src/lab/lab-config.js';
import { meshIfname, netclientExecutable, startNetmakerServer, startResponder, stopNetclient, type NetmakerServer } from '../../../src/lab/mesh-lab.js';
import { cliArgv } from '../../../src/lab/self.js';
import { curlIn, meshAddress, meshProofLine, proveMeshPair, type MeshProofNode } from '../../../src/lab/mesh-proof.js';
import { encodeEnrollmentToken } from '../../../src/mesh/token.js';
import { statusFromJson } from '../../helpers/status-json.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), hasTun() ? null : 'needs /dev/net/tun', binarySkipReason('ovs-vswitchd', 'wireguard-go', 'wg', 'curl', 'tcpdump', 'iptables'));
if (skip) console.log(`skipped: ${skip}`);
const t = skip ? test.skip : test.serial;

const NETWORK = 'privacy-mesh';
const prefix = uniquePrefix('m');
let scope: Scope;
let server: NetmakerServer;
interface Node { name: string; ns: NetnsExec; dir: string; configFile: string; iface: string; netclient: string; ct: (id: number) => NetnsExec }
const nodes: Record<'a' | 'b', Node> = {} as never;

/** privroute inside a node's namespace. */
function privroute(n: Node, args: string[]) {
  return spawnArgv(`netns:${n.ns.name}`, ['ip', 'netns', 'exec', n.ns.name, ...cliArgv(), '--config', n.configFile, '--state-dir', path.join(n.dir, 'state'), ...args], { okCodes: [0, 1, 2], timeoutMs: 180_000 });
}

function writeConfig(n: Node, netmaker: Record<string, unknown>, ovs: { dbEndpoint: string; rundir: string }): void {
  const seed = JSON.parse(readFileSync(seedConfigPath(), 'utf8'));
  const r = seed.plugins.privacy_router;
  // This test is about the mesh: the chain hops stay off; the privacy sockets stay declared (the witness uses internal_100).
  r.wireguard.enabled = false;
  r.xray.enabled = false;
  r.warp.enabled = false;
  r.openflow.privacy_flows = [];
  r.ovs = { db: ovs.dbEndpoint, rundir: ovs.rundir, openflow: null, datapath_type: 'netdev', fail_mode: 'secure' };
  r.runtime = { kind: 'netns', netns_prefix: `${prefix}-${n.name}ct`, node_netns: n.ns.name, template: null, storage: 'local-lvm' };
  r.netmaker = { ...r.netmaker, node_id: `node-${n.name}`, mesh_interface: n.iface, netclient: n.netclient, restart: [n.netclient, 'service-restart'], api_ca_file: server.caFile, ...netmaker };
  writeFileSync(n.configFile, JSON.stringify(seed, null, 2), { mode: 0o600 });
}

test.before(async () => {
  if (skip) return;
  scope = new Scope(prefix);
  const wan = await createNetns(scope, 'wan', { forwarding: true });
  const site = async (name: string, idx: number) => {
    const ns = await createNetns(scope, name);
    await vethPair(scope, { ns: wan.name, name: `wn-${name}`, cidr: `198.18.${idx}.1/24` }, { ns: ns.name, name: 'up0', cidr: `198.18.${idx}.2/24` });
    await ns.run(['ip', 'route', 'add', 'default', 'via', `198.18.${idx}.1`]);
    return ns;
  };
  const srv = await site('nms', 30);
  server = await startNetmakerServer(scope, { ns: srv.name, host: '198.18.30.2', port: 8443, networks: { [NETWORK]: '10.101.0.0/24' } });
  for (const [name, idx] of [['a', 31], ['b', 32]] as const) {
    const ns = await site(name, idx);
    const ovs = await startOvs(scope, { ns: ns.name });
    for (const id of [100, 101, 200, 201]) await createNetns(scope, `${name}ct${id}`);
    const dir = path.join(scope.dir, `node-${name}`);
    await spawnArgv('local', ['mkdir', '-p', '-m', '0700', dir]);
    const iface = meshIfname(prefix, name);
    const n: Node = { name, ns, dir, configFile: path.join(dir, 'config.json'), iface, netclient: netclientExecutable(scope, name, server.caFile, iface), ct: (id) => new (ns.constructor as typeof NetnsExec)(`${prefix}-${name}ct${id}`) };
    nodes[name] = n;
    writeConfig(n, {}, ovs);
    (n as Node & { ovs: typeof ovs }).ovs = ovs;
    await startResponder(scope, { ns: `${prefix}-${name}ct200`, port: 8080, body: `vector_db@${name}`, name: `resp-${name}200` });
    await startResponder(scope, { ns: `${prefix}-${name}ct201`, port: 9000, body: `bucket_storage@${name}`, name: `resp-${name}201` });
  }
});

test.after.always(async () => {
  if (!skip) await scope?.close();
});

const ovsOf = (n: Node) => (n as Node & { ovs: { dbEndpoint: string; rundir: string } }).ovs;

/** Nothing of the mesh on node n: no mesh interface, no netclient membership, no mesh netfilter rule. */
async function assertNothingOfTheMesh(tt: import('ava').ExecutionContext, n: Node): Promise<void> {
  tt.is((await n.ns.run(['ip', 'link', 'show', 'dev', n.iface], { okCodes: [0, 1] })).code, 1, 'no mesh interface');
  tt.false(existsSync(path.join(scope.dir, `netclient-${n.name}`, 'etc', 'nodes.json')) && readFileSync(path.join(scope.dir, `netclient-${n.name}`, 'etc', 'nodes.json'), 'utf8').includes(NETWORK), 'not joined');
  for (const table of ['nat', 'filter']) tt.notRegex((await n.ns.run(['iptables', '-w', '-t', table, '-S'])).stdout, /privroute\/mesh|PRIVROUTE-MESH/, `no mesh rule or chain in ${table}`);
}

t('bad token: exit 2 naming the problem (token never printed), nothing touched', async (tt) => {
  const a = nodes.a;
  const tokenFile = path.join(a.dir, 'token');
  const bad = Buffer.from(JSON.stringify({ server: '198.18.30.2:8443', value: 'short' })).toString('base64');
  writeFileSync(tokenFile, bad + '\n', { mode: 0o600 });
  writeConfig(a, { token_file: tokenFile }, ovsOf(a));
  const r = await privroute(a, ['init']);
  tt.is(r.code, 2, r.stderr);
  tt.regex(r.stderr, /netmaker\.token_file.*32-character enrollment key; it has 5 character/);
  tt.false(r.stderr.includes(bad) || r.stdout.includes(bad), 'the token is not printed');
  tt.is((await a.ns.run(['ovs-vsctl', `--db=${ovsOf(a).dbEndpoint}`, 'list-br'])).stdout.trim(), '', 'not even the bridge was made');
  await assertNothingOfTheMesh(tt, a);
});

t('missing netclient: install instructions, nothing touched', async (tt) => {
  const a = nodes.a;
  writeConfig(a, { token_file: path.join(a.dir, 'token'), netclient: path.join(a.dir, 'no-such-netclient') }, ovsOf(a));
  const r = await privroute(a, ['init']);
  tt.is(r.code, 1, r.stderr);
  tt.regex(r.stderr, /netclient .*no-such-netclient.* is not installed/);
  tt.regex(r.stderr, /apt-get install netclient/);
  tt.is((await a.ns.run(['ovs-vsctl', `--db=${ovsOf(a).dbEndpoint}`, 'list-br'])).stdout.trim(), '');
  await assertNothingOfTheMesh(tt, a);
});

t('unreachable server: the mesh fails with the reason, no membership, no interface, no mesh rule', async (tt) => {
  const a = nodes.a;
  const tokenFile = path.join(a.dir, 'token');
  // A well-formed token for a server address where nothing listens.
  writeFileSync(tokenFile, encodeEnrollmentToken('198.18.30.2:9', 'A'.repeat(32)) + '\n', { mode: 0o600 });
  writeConfig(a, { token_file: tokenFile }, ovsOf(a));
  const r = await privroute(a, ['init']);
  tt.is(r.code, 1, r.stderr);
  tt.regex(r.stderr, /FAIL mesh/);
  tt.regex(r.stderr, /could not reach https:\/\/198\.18\.30\.2:9/);
  tt.false(r.stderr.includes('A'.repeat(32)), 'the token is masked');
  await assertNothingOfTheMesh(tt, a);
});

t('both nodes join (A: token file, B: master key → single-use token); a second init changes nothing', async (tt) => {
  const a = nodes.a;
  const b = nodes.b;
  // The operator's token for A, minted by the server stand-in with its master key.
  const key = readFileSync(server.masterKeyFile, 'utf8').trim();
  const made = await spawnArgv('local', ['ip', 'netns', 'exec', a.ns.name, 'curl', '-sS', '--cacert', server.caFile, '-H', `Authorization: Bearer ${key}`, '-d',
    JSON.stringify({ expiration: 0, uses_remaining: 1, networks: [NETWORK], unlimited: false, tags: ['operator'], type: 2 }), `${server.url}/api/v1/enrollment-keys`]);
  writeFileSync(path.join(a.dir, 'token'), JSON.parse(made.stdout).token + '\n', { mode: 0o600 });
  writeConfig(a, { token_file: path.join(a.dir, 'token') }, ovsOf(a));
  writeConfig(b, { server_url: server.url, master_key_file: server.masterKeyFile }, ovsOf(b));
  for (const n of [a, b]) {
    const r = await privroute(n, ['init']);
    tt.is(r.code, 0, r.stderr);
    tt.regex(r.stderr, /ok {3}mesh .*change/);
  }
  for (const n of [a, b]) {
    const again = await privroute(n, ['init']);
    tt.is(again.code, 0, again.stderr);
    tt.regex(again.stdout + again.stderr, /nothing to change/);
  }
});

const proofNode = (n: Node): MeshProofNode => ({ name: n.name, ns: n.ns.name, meshIface: n.iface, ctNs: (id) => `${prefix}-${n.name}ct${id}` });

t('function routing across the mesh, both ways: 8080 → vector_db, 9000 → bucket_storage, other port times out; the privacy socket witness counts 0', async (tt) => {
  for (const [from, to] of [[nodes.a, nodes.b], [nodes.b, nodes.a]] as const) {
    const p = await proveMeshPair(scope, proofNode(from), proofNode(to));
    console.log(meshProofLine(p));
    tt.is(p.vectorDb, `vector_db@${to.name}`);
    tt.is(p.bucketStorage, `bucket_storage@${to.name}`);
    tt.is(p.otherPortCode, 28, 'another port times out (dropped, not refused)');
    tt.true(p.witnessMeshPackets > 0, 'the witness is live: it saw the mesh request');
    tt.is(p.witnessPrivacyPackets, 0, 'no privacy socket packet reached vector_db');
  }
});

t('status: netmaker ok with its peer, handshake age and function probes', async (tt) => {
  const r = await privroute(nodes.a, ['--json', 'status']);
  const s = statusFromJson(r.stdout);
  const nm = s.hops.find((h) => h.hop === 'netmaker')!;
  tt.true(nm.ok, nm.detail);
  const data = nm.data as { peers: { handshakeAgeSec: number | null }[]; functions: { function: string; target: string; ok: boolean }[] };
  tt.is(data.peers.length, 1);
  tt.true(data.peers[0]!.handshakeAgeSec !== null);
  tt.deepEqual(data.functions.map((f) => [f.function, f.target, f.ok]), [['vector_db', 'internal_200', true], ['bucket_storage', 'internal_201', true]]);
  console.log((await privroute(nodes.a, ['status'])).stdout.split('\n').filter((l) => /netmaker/.test(l)).join('\n'));
});

t('repair: the mesh interface deleted → init restarts netclient and the function answers again', async (tt) => {
  const b = nodes.b;
  await b.ns.run(['ip', 'link', 'del', 'dev', b.iface]);
  const plan = await privroute(b, ['plan']);
  tt.regex(plan.stderr, /restart netclient \(interface .* is gone\)/);
  const r = await privroute(b, ['init']);
  tt.is(r.code, 0, r.stderr);
  const ip = await meshAddress(proofNode(b));
  await waitFor('mesh a → b after repair', async () => (await curlIn(nodes.a.ns.name, `http://${ip}:8080/`)).body === 'vector_db@b', 30_000);
  tt.pass();
});

t('leave on removal: netclient leave, the interface and the mesh rules go; a second leave does nothing', async (tt) => {
  const { leaveMesh } = await import('../../../src/mesh/component.js');
  const { addressPlan } = await import('../../../src/topology/addressing.js');
  const { loadConfig } = await import('../../../src/config/index.js');
  const b = nodes.b;
  const config = loadConfig({ file: b.configFile });
  const deps = { config, topology: addressPlan(config), node: b.ns, container: b.ct, hostName: 'node-b' };
  tt.true(await leaveMesh(deps));
  await assertNothingOfTheMesh(tt, b);
  tt.false(await leaveMesh(deps), 'not joined any more: nothing to leave');
});
