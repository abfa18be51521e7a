/**
 * The `mesh` component: this node is a member of the Netmaker network, its
 * netclient interface is up, and mesh traffic crosses onto the bridge only for
 * the declared functions (bridge.ts).
 *
 *   observe (read-only): netclient present, `netclient list <network>`, the mesh
 *                        interface; the node's and each mesh container's networking
 *                        as the net reconciler sees it (src/net observeNet)
 *   plan (pure):         join | restart netclient | the net reconciler's plan for the
 *                        node ({@link meshNodeNet}) and each mesh container
 *   apply:               exactly those, join/restart first — if that fails nothing
 *                        else is touched
 *
 * Idempotent: a joined node is never joined again (its membership is what
 * `netclient list` reports). The enrollment token is read (0600 file) or minted
 * (master key over HTTPS) only when a join is planned.
 */
import type { Change, Component } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import { parseIpAddrJson, linkShowArgv, type LinkState } from '../net/links.js';
import { applyNet, observeNet, planNet, planNetRemoval, type NetChange, type NetDesired, type NetObserved } from '../net/reconcile.js';
import { readSecretFile } from '../core/secret-file.js';
import type { Config } from '../config/types.js';
import type { Topology } from '../topology/addressing.js';
import { functionTargets, meshContainerNet, meshNodeNet } from './bridge.js';
import { Netclient, type NetclientNetwork } from './netclient.js';
import { mintEnrollmentToken } from './rest.js';
import { meshSettings, readTokenFromFile, type MeshSettings } from './settings.js';
import type { EnrollmentToken } from './token.js';

/** What the mesh component needs from the appliance. */
export interface MeshDeps {
  config: Config;
  topology: Topology;
  node: HostExec;
  /** A mesh container's executor. */
  container(id: number): HostExec;
  /** netclient's host name (`-o`). */
  hostName: string;
}

/** The mesh's desired networking: the node's, and each mesh container's (by container id). */
export interface MeshNet {
  node: NetDesired;
  containers: Map<number, NetDesired>;
  bridgePort: string;
}

/** The observed mesh state. */
export interface MeshObserved {
  membership?: NetclientNetwork;
  iface?: LinkState;
  node: NetObserved;
  containers: Map<number, NetObserved>;
}

/** One mesh change: membership, or one step of the net reconciler's plan on the node or a container. */
export type MeshChange = Change & ({ op: 'join' } | { op: 'restart' } | { op: 'missing-port' } | { op: 'net'; on: number | 'node'; change: NetChange });

/** The desired networking, derived from config (pure). */
export function meshDesired(d: Pick<MeshDeps, 'config' | 'topology'>, s: MeshSettings): MeshNet {
  const uplink = d.topology.ports.find((p) => p.role === 'mesh-uplink')!;
  const containers = new Map<number, NetDesired>();
  for (const p of d.topology.ports.filter((x) => x.role === 'mesh')) containers.set(p.objectId, meshContainerNet(uplink.ip, p.name));
  const node = meshNodeNet({ meshIface: s.meshIface, bridgePort: s.bridgePort, uplinkCidr: `${uplink.ip}/${uplink.prefixLen}`, functions: functionTargets(d.config, d.topology) });
  return { node, containers, bridgePort: s.bridgePort };
}

/** Pure plan. A missing nm-privacy is reported (the ovs component makes it), not worked around. */
export function planMesh(s: MeshSettings, want: MeshNet, o: MeshObserved): MeshChange[] {
  const out: MeshChange[] = [];
  if (!o.membership) out.push({ op: 'join', describe: `join Netmaker network ${s.network} (netclient join, interface ${s.meshIface})` });
  else if (!o.iface || !o.membership.connected) out.push({ op: 'restart', describe: `restart netclient (${!o.iface ? `interface ${s.meshIface} is gone` : 'not connected'})` });
  if (!o.node.links.get(want.bridgePort)) out.push({ op: 'missing-port', describe: `${want.bridgePort} is missing on the node (the ovs component creates it)` });
  else for (const c of planNet(want.node, o.node)) out.push({ op: 'net', on: 'node', change: c, describe: `node: ${c.describe}` });
  for (const [id, d] of want.containers) {
    for (const c of planNet(d, o.containers.get(id)!)) out.push({ op: 'net', on: id, change: c, describe: `CT ${id}: ${c.describe}` });
  }
  return out;
}

/** Resolve the enrollment token for a join: the 0600 file, or minted with the master key. */
export async function enrollmentToken(s: MeshSettings): Promise<EnrollmentToken> {
  if (s.source.kind === 'file') return readTokenFromFile(s.source.file);
  const masterKey = readSecretFile(s.source.masterKeyFile, 'plugins.privacy_router.netmaker.master_key_file');
  return mintEnrollmentToken({ serverUrl: s.source.serverUrl, masterKey, network: s.network, caFile: s.source.caFile });
}

async function linkState(exec: HostExec, name: string): Promise<LinkState | undefined> {
  const out = await exec.run(linkShowArgv(name), { okCodes: [0, 1] });
  return out.code === 0 ? parseIpAddrJson(out.stdout).get(name) : undefined;
}

/**
 * Observe the mesh (read-only; the reads run concurrently, issue 16). Throws
 * PreconditionError with install steps when netclient is missing.
 */
export async function observeMesh(d: MeshDeps, s: MeshSettings, want: MeshNet): Promise<MeshObserved> {
  const nc = new Netclient(d.node, s.netclient);
  const [present, rest] = await Promise.allSettled([
    nc.ensurePresent(),
    Promise.all([
      Promise.all([...want.containers].map(async ([id, n]) => [id, await observeNet(d.container(id), n)] as const)),
      nc.list(s.network),
      linkState(d.node, s.meshIface),
      observeNet(d.node, want.node),
    ] as const),
  ]);
  // A missing netclient is reported as such (install steps), whatever else failed with it.
  if (present.status === 'rejected') throw present.reason;
  if (rest.status === 'rejected') throw rest.reason;
  const [containers, membership, iface, node] = rest.value;
  return { membership, iface, node, containers: new Map(containers) };
}

/** The component. */
export function meshComponent(d: MeshDeps): Component<MeshObserved, MeshChange> {
  const s = meshSettings(d.config);
  const want = meshDesired(d, s);
  const nc = new Netclient(d.node, s.netclient);
  return {
    name: 'mesh',
    dependsOn: ['sockets'],
    observe: () => observeMesh(d, s, want),
    plan: (o) => planMesh(s, want, o),
    async apply(changes) {
      // Membership first: if the join fails (bad token, server unreachable) nothing else is touched.
      if (changes.some((c) => c.op === 'join')) await nc.join(await enrollmentToken(s), s.meshIface, d.hostName);
      if (changes.some((c) => c.op === 'restart')) await nc.restart(s.restart);
      const missing = changes.find((c) => c.op === 'missing-port');
      if (missing) throw new Error(missing.describe);
      const net = changes.filter((c): c is MeshChange & { op: 'net' } => c.op === 'net');
      await applyNet(d.node, net.filter((c) => c.on === 'node').map((c) => c.change));
      for (const id of want.containers.keys()) await applyNet(d.container(id), net.filter((c) => c.on === id).map((c) => c.change));
    },
  };
}

/** Leave the mesh (removal): `netclient leave <network>` when joined, then the mesh's netfilter rules and chain removed. */
export async function leaveMesh(d: MeshDeps): Promise<boolean> {
  const s = meshSettings(d.config);
  const nc = new Netclient(d.node, s.netclient);
  const joined = (await nc.list(s.network)) !== undefined;
  if (joined) await nc.leave(s.network);
  const want = meshDesired(d, s).node;
  await applyNet(d.node, planNetRemoval(want, await observeNet(d.node, want)));
  return joined;
}
