/**
 * `privroute lab`: the whole appliance on one Linux machine, in network
 * namespaces, never touching the machine's own interfaces, routes or firewall.
 *
 * up:   the world (wan, edge, VPS, internet with web + DNS, client), a private
 *       OVS inside the node namespace, the container namespaces, the VPS's real
 *       sshd, the WARP edge (real wireguard-go) and its API stand-in; then the
 *       REAL `privroute init` runs inside the node namespace, `add-client` makes
 *       two clients: one on the access port (the node's LAN) and one on the wan
 *       (a phone on the internet, through the node's uplink address). The node
 *       joins a Netmaker server stand-in's mesh; `nodes: N` adds N-1 more nodes
 *       on the wan, each with its own chain, joined to the same mesh (lab-node.ts).
 * down: removes everything the lab recorded (processes by pid, namespaces, run
 *       dirs), also after a crash.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../config/validate.js';
import { spawnArgv } from '../host/local.js';
import { portByRole } from '../topology/addressing.js';
import { applianceTopology } from '../topology/topology.js';
import { NetnsExec } from '../host/netns.js';
import { LAB_ROOT, Scope, createNetns, vethPair, isWireguardGoFor, killGroup, pidsWhere, startOvs, sweepStale, type OvsInstance } from './harness/index.js';
import { bringUpClient, type ClientTunnel } from './client-device.js';
import { labIfnames } from './lab-config.js';
import { scriptArgv } from './self.js';
import { startSshd } from './sshd.js';
import { startWarpEdge, startTraceServer, type WarpEdge } from './standins/warp-edge.js';
import { buildWorld, siteAddr, type World } from './world.js';
import { LAB_CT_PACKAGES, prefetchDebs, prepareStandin, standinNode, stopStandinContainers } from './pct-standin.js';
import { meshIfname, startNetmakerServer, startStandin, stopNetclient } from './mesh-lab.js';
import { buildNode, type LabNode, type LabShared } from './lab-node.js';

export type { LabNode } from './lab-node.js';

/** Default lab prefix (`privroute lab up` without --prefix). */
export const DEFAULT_LAB_PREFIX = 'prlab';
/** The client access port's name on the bridge. */
export const ACCESS_PORT = 'access0';
/** Container ids the lab's config declares. */
const CONTAINERS = [100, 101, 200, 201];
/** The lab's Netmaker network (the seed's network_name) and its address range. */
const MESH_NETWORK = 'privacy-mesh';
const MESH_RANGE = '10.101.0.0/24';
/** The Netmaker server stand-in's port in inet. */
/** The Netmaker server stand-in's HTTPS port (in the inet namespace). */
export const NETMAKER_PORT = 8443;
/** Node N (N >= 2) sits on 198.18.<NODE_SITE_BASE + N>.0/24 and has its XRay server on VPS port VPS_PORT_BASE + N. */
const NODE_SITE_BASE = 10;
const VPS_PORT_BASE = 8440;
/** Most nodes a lab runs (interface names and sites are sized for it). */
export const MAX_LAB_NODES = 4;

/** What a running lab is made of (also persisted as lab.json in its dir). */
export interface Lab {
  prefix: string;
  dir: string;
  scope: Scope;
  world: World;
  ovs: OvsInstance;
  edge: WarpEdge;
  configFile: string;
  stateDir: string;
  /** The client on the access port (dials the gateway's LAN address). */
  client: ClientTunnel;
  /** The client on the wan (world.phone): dials the node's uplink address, through the ingress. */
  phone: ClientTunnel;
  /** Run the privroute CLI inside the node namespace (as the node would). */
  privroute(args: string[], opts?: { okCodes?: number[] }): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Move the access port into the client namespace again (after an OVS restart re-created it on the node). */
  reattachAccess(): Promise<void>;
  /** The runtime the lab's config uses. */
  runtime: 'netns' | 'pct';
  /** pct: the environment that points pct & co. at the stand-in (run them in the node namespace). */
  pctEnv?: Record<string, string>;
  /** Every appliance node (the first is `node`, the one above). */
  nodes: LabNode[];
}

/** Options of {@link labUp}. */
export interface LabUpOptions {
  prefix?: string;
  /** Leave a lab that failed to come up in place for inspection (remove it with labDown). */
  keepOnFailure?: boolean;
  /** Progress lines (one per step). */
  log?: (line: string) => void;
  /**
   * Runs once the world, OVS and the containers exist, right before the first
   * `privroute init` (tests use it to put a foreign, routed guest on the node, or foreign
   * bridges on the node's private OVS, `ovs`).
   */
  beforeInit?: (world: World, scope: Scope, ovs: OvsInstance) => Promise<void>;
  /**
   * `netns` (default): containers are namespaces. `pct`: the real `privroute init` with
   * runtime.kind = pct against unprivileged LXC containers made by the pct stand-in.
   */
  runtime?: 'netns' | 'pct';
  /** Appliance nodes on the wan, each with its own chain, all joined to one mesh (default 1; more only with netns). */
  nodes?: number;
}

/** Bring the lab up. On failure everything made so far is removed and the error rethrown. */
export async function labUp(o: LabUpOptions = {}): Promise<Lab> {
  const prefix = o.prefix ?? DEFAULT_LAB_PREFIX;
  const log = o.log ?? (() => {});
  const nodes = o.nodes ?? 1;
  if (nodes > 1 && o.runtime === 'pct') throw new Error('lab: more than one node runs with the netns runtime only (each pct node would need its own LXC set)');
  // A previous lab with this prefix (also one that crashed) goes first, with what privroute started in it.
  await labDown(prefix);
  const scope = new Scope(prefix);
  try {
    return await build(scope, log, o.runtime ?? 'netns', o.beforeInit, nodes);
  } catch (e) {
    if (!o.keepOnFailure) {
      await stopProductProcesses(prefix, scope.dir);
      await scope.close();
    }
    throw e;
  }
}

async function step<T>(log: (l: string) => void, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    const r = await fn();
    log(`ok   ${name} (${Date.now() - t0} ms)`);
    return r;
  } catch (e) {
    log(`FAIL ${name}: ${(e as Error).message.split('\n')[0]}`);
    throw e;
  }
}

async function build(scope: Scope, log: (l: string) => void, runtime: 'netns' | 'pct', beforeInit: LabUpOptions['beforeInit'], nodeCount: number): Promise<Lab> {
  const { prefix, dir } = scope;
  const names = labIfnames(prefix);
  const world = await step(log, 'world: wan, edge, vps, internet (web + dns), client', () => buildWorld(scope));
  // The client reaches the appliance only through the access port.
  await world.client.run(['ip', 'link', 'del', 'dev', 'up0']);
  const ovs = await step(log, 'node: private ovsdb-server + ovs-vswitchd (userspace datapath)', () => startOvs(scope, { ns: world.node.name }));
  let pct: Awaited<ReturnType<typeof prepareStandin>> | undefined;
  if (runtime === 'pct') {
    // privroute init creates the containers itself, from the template, through pct.
    pct = await step(log, 'pct stand-in over real LXC: test root + Debian template (built once, cached)', () => prepareStandin(scope));
    const p = pct;
    const debs = path.join(path.dirname(p.tarball), 'node-debs');
    await step(log, `node package cache (the lab's node has no mirror): ${LAB_CT_PACKAGES.join(', ')}`, () => prefetchDebs(scope, p.tarball, debs));
    p.env.PRIVROUTE_DEB_CACHE = debs;
    scope.defer('LXC containers (stand-in)', () => stopStandinContainers(p.root, standinNode(world.node.name)));
  } else {
    // Container namespaces are made on the host (a namespace made from inside another is not enterable).
    await step(log, 'containers: namespaces for CT ' + CONTAINERS.join(', '), async () => {
      for (const id of CONTAINERS) await createNetns(scope, `ct${id}`);
    });
  }
  const sshd = await step(log, 'vps: real sshd', () => startSshd(scope, { ns: world.vps.name, name: 'vps-sshd', listenAddress: siteAddr('vps').v4, port: 22 }));
  const edgeAddr = siteAddr('edge').v4;
  const edge = await step(log, 'warp edge: wireguard-go peer (stand-in for Cloudflare)', () =>
    startWarpEdge(scope, { ns: world.edge.name, iface: names.edge, listenPort: 2408, address4: '172.16.0.1/24', egressIf: 'up0' }),
  );
  await startTraceServer(scope, { ns: world.inet.name, host: siteAddr('inet').v4, port: 8080, egress: [edgeAddr], name: 'trace' });
  const warpApi = await step(log, 'warp API stand-in (HTTPS, TLS 1.2)', () => startWarpApi(scope, world.edge.name, edgeAddr, edge.publicKey, names.edge));
  const netmaker = await step(log, 'netmaker server stand-in (HTTPS, in inet)', () =>
    startNetmakerServer(scope, { ns: world.inet.name, host: siteAddr('inet').v4, port: NETMAKER_PORT, networks: { [MESH_NETWORK]: MESH_RANGE } }),
  );
  // What privroute itself starts (wireguard-go, v2ray, the netclient stand-in) outlives the CLI: stop it by name at lab down.
  scope.defer('processes started by privroute', async () => void (await stopProductProcesses(prefix, dir)));
  const shared: LabShared = { world, warpApi, netmaker, vps: { keyFile: sshd.keyFile, hostKey: sshd.hostKeyFingerprint } };
  const st = <T>(name: string, fn: () => Promise<T>) => step(log, name, fn);
  const node = await buildNode(scope, st, log, shared, {
    key: 'node', ns: world.node, ovs, ctPrefix: `${prefix}-ct`, ifPrefix: prefix, accessPort: ACCESS_PORT, vpsPort: null,
    pct: pct ? { template: pct.template, env: pct.env } : undefined,
    beforeInit: beforeInit ? () => beforeInit(world, scope, ovs) : undefined,
  });
  const { configFile, stateDir, privroute } = node;
  // The client's side of the access port gets the address init's topology gives it.
  const cfg0 = validateConfig(JSON.parse(readFileSync(configFile, 'utf8')));
  const access = portByRole(applianceTopology(cfg0, null), 'access')!;
  const reattachAccess = async () => {
    const inNode = await world.node.run(['ip', 'link', 'show', 'dev', ACCESS_PORT], { okCodes: [0, 1] });
    if (inNode.code !== 0) return;
    await world.client.run(['ip', 'link', 'del', 'dev', ACCESS_PORT], { okCodes: [0, 1] });
    await world.node.run(['ip', 'link', 'set', 'dev', ACCESS_PORT, 'netns', world.client.name]);
    await world.client.run(['ip', 'addr', 'add', `${access.ip}/${access.prefixLen}`, 'dev', ACCESS_PORT]);
    await world.client.run(['ip', 'link', 'set', 'dev', ACCESS_PORT, 'up']);
  };
  await reattachAccess();
  const confFile = path.join(dir, 'client.conf');
  await step(log, 'privroute add-client lab-client', () => privroute(['add-client', 'lab-client', '--out', confFile]));
  // The access client is on the node's LAN: it dials the gateway's chain address on the access port.
  const gwLan = `${portByRole(applianceTopology(cfg0, null), 'gateway')!.ip}:${cfg0.plugins.privacy_router.wireguard.listen_port}`;
  const client = await step(log, `access client (LAN, access port): wireguard-go with the printed config, endpoint ${gwLan}`, () => bringUpClient(scope, world.client.name, names.client, readFileSync(confFile, 'utf8'), gwLan));
  const phoneFile = path.join(dir, 'phone.conf');
  await step(log, 'privroute add-client lab-phone', () => privroute(['add-client', 'lab-phone', '--out', phoneFile]));
  const phone = await step(log, 'wan client (phone on the internet): wireguard-go with the printed config (the node\'s uplink address)', () =>
    bringUpClient(scope, world.phone.name, names.phone, readFileSync(phoneFile, 'utf8')),
  );
  log(`     wan client dials ${phone.conf.peer.endpoint}; access client dials ${client.conf.peer.endpoint}`);
  const nodes: LabNode[] = [node];
  for (let i = 2; i <= nodeCount; i++) {
    const key = `node${i}`;
    const ns = await step(log, `${key}: namespace on the wan (198.18.${NODE_SITE_BASE + i}.2)`, () => addWanSite(scope, world, key, NODE_SITE_BASE + i));
    const o = await step(log, `${key}: private ovsdb-server + ovs-vswitchd`, () => startOvs(scope, { ns: ns.name }));
    await step(log, `${key}: container namespaces`, async () => {
      for (const id of CONTAINERS) await createNetns(scope, `${key}ct${id}`);
    });
    // Its own chain: its own CTs, WARP device and tunnel, and its own XRay server on the VPS (another port).
    nodes.push(await buildNode(scope, st, log, shared, { key, ns, ovs: o, ctPrefix: `${prefix}-${key}ct`, ifPrefix: `${prefix}${i}`, accessPort: null, vpsPort: VPS_PORT_BASE + i }));
  }
  const ns = Object.fromEntries(['wan', 'node', 'edge', 'vps', 'inet', 'client', 'phone'].map((k) => [k, (world as any)[k].name]));
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify({ prefix, configFile, stateDir, runtime, env: pct?.env, ns, nodes: nodes.map(({ privroute: _p, ...n }) => n) }, null, 2));
  return { prefix, dir, scope, world, ovs, edge, configFile, stateDir, client, phone, privroute, reattachAccess, runtime, pctEnv: pct?.env, nodes };
}

/** A further site on the wan for another node: 198.18.<idx>.2/24, default via the wan router. */
async function addWanSite(scope: Scope, world: World, key: string, idx: number): Promise<NetnsExec> {
  const ns = await createNetns(scope, key);
  await vethPair(scope, { ns: world.wan.name, name: `wn-${key}`, cidr: `198.18.${idx}.1/24` }, { ns: ns.name, name: 'up0', cidr: `198.18.${idx}.2/24` });
  await ns.run(['ip', 'route', 'add', 'default', 'via', `198.18.${idx}.1`]);
  return ns;
}

/** Run the WARP API stand-in as a process in the edge namespace; returns its URL and CA file. */
async function startWarpApi(scope: Scope, ns: string, host: string, peerPublicKey: string, edgeIface: string): Promise<{ url: string; caFile: string }> {
  const cfgFile = path.join(scope.dir, 'warp-api.json');
  const apiDir = path.join(scope.dir, 'warp-api');
  mkdirSync(apiDir, { recursive: true, mode: 0o700 });
  writeFileSync(cfgFile, JSON.stringify({ dir: apiDir, host, port: 443, peerPublicKey, endpoint: { host: `${host}:2408`, v4: `${host}:0` }, poolV4: '172.16.0.', edgeInterface: edgeIface }));
  return startStandin(scope, { name: 'warp-api', ns, argv: [...scriptArgv('lab/standins/warp-api'), '--config', cfgFile] });
}

/**
 * Stop what `privroute init` started inside the lab — wireguard-go for the lab's
 * own interface names, and engines whose argv points into the lab's dir — by
 * exact argv match (never a broad pattern), then remove the control sockets
 * wireguard-go leaves behind.
 */
export async function stopProductProcesses(prefix: string, dir: string): Promise<number> {
  // Node N >= 2 names its interfaces with the prefix `<prefix>N`.
  const names = [prefix, ...[2, 3, 4].map((i) => `${prefix}${i}`)].flatMap((p) => Object.values(labIfnames(p)));
  const wg = names.map(isWireguardGoFor);
  const engine = (argv: string[]) => /(^|\/)(v2ray|xray|privroute-xray)$/.test(argv[0] ?? '') && argv.slice(1).some((a) => a.startsWith(dir + '/'));
  const pids = pidsWhere((argv) => engine(argv) || wg.some((m) => m(argv)));
  for (const pid of pids) killGroup(pid, 'SIGKILL');
  for (const nm of names) rmSync(`/var/run/wireguard/${nm}.sock`, { force: true });
  // The netclient stand-in of every node (its daemon and its wireguard-go), by the node's config dir.
  let mesh = 0;
  for (const key of ['node', ...[2, 3, 4].map((i) => `node${i}`)]) mesh += stopNetclient(path.join(dir, `netclient-${key}`), meshIfname(prefix, key));
  return pids.length + mesh;
}

/** Tear a lab down by prefix (works after a crash: everything was recorded on disk). */
export async function labDown(prefix = DEFAULT_LAB_PREFIX): Promise<string[]> {
  const stopped = await stopProductProcesses(prefix, path.join(LAB_ROOT, prefix));
  const removed = await sweepStale(prefix);
  return stopped ? [`${stopped} process(es) started by privroute`, ...removed] : removed;
}

/** The persisted description of a lab, or null if none is up. */
export function labInfo(prefix = DEFAULT_LAB_PREFIX): { prefix: string; configFile: string; stateDir: string; ns: Record<string, string>; runtime?: string; env?: Record<string, string> } | null {
  const f = path.join(LAB_ROOT, prefix, 'lab.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
}

/** A NetnsExec for a lab namespace role. */
export function labNs(prefix: string, role: string): NetnsExec {
  return new NetnsExec(`${prefix}-${role}`);
}
