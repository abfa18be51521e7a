/**
 * The address plan: which OVS ports exist on the bridge, what role each plays in
 * the pipeline, and the IPv4/IPv6/MAC address each one uses. Pure and
 * deterministic, so every component (flows, runtime, tunnel, warp, mesh, lab)
 * derives the same addresses from the same Config without talking to each other.
 *
 *   chain_network (default 10.77.0.0/24)     mesh_network (default 10.78.0.0/24)
 *     .1            warp0  (chain uplink)       .1            nm-privacy (mesh uplink)
 *     .2            optional client access port .<ctid>       mesh sockets (internal_200 ...)
 *     .3            optional ingress port (node side, docs/ingress.md)
 *     .<ctid>       privacy sockets (internal_100, internal_101)
 *
 * MACs are locally administered unicast (02:xx:xx:xx:xx:xx), derived from a hash
 * of the port name and a rotation salt: stable across restarts (so neighbour
 * caches stay valid when ovs-vswitchd re-creates a port) and changed only when
 * the salt is rotated on purpose. The client access port's MAC is never salted: its
 * link belongs to the client side, where privroute cannot move it (src/rotation/mac-plan.ts).
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config/types.js';
import { InputError, type InputProblem } from '../core/errors.js';

const ROOT = 'plugins.privacy_router';

/** What a port is for. Decides its source class and its allowed neighbours. */
export type PortRole = 'gateway' | 'xray' | 'privacy' | 'warp' | 'mesh' | 'mesh-uplink' | 'access' | 'ingress';

/** One port of the bridge as the pipeline sees it. */
export interface TopologyPort {
  /** OVS port / interface name, e.g. `internal_100`, `warp0`. */
  name: string;
  role: PortRole;
  /**
   * Stable small integer naming the port inside flows (reg1 values, cookies, meter
   * ids): the container id for container sockets, 1 warp0, 2 nm-privacy, 3 access, 4 ingress.
   */
  objectId: number;
  /** IPv4 address without prefix. */
  ip: string;
  /** Prefix length of the port's network. */
  prefixLen: number;
  /** IPv6 address without prefix (chain ports only, when chain_network.subnet6 is set). */
  ip6?: string;
  prefixLen6?: number;
  /** Locally administered unicast MAC, lower case. */
  mac: string;
}

/**
 * The appliance's topology: all ports privroute manages on the bridge (sorted by
 * objectId) with their addresses and MACs, and the salt the MACs derive from.
 * Computed once per run from config + store (see ./topology.ts) and frozen, so
 * every component sees the same value.
 */
export interface Topology {
  readonly bridge: string;
  readonly ports: readonly Readonly<TopologyPort>[];
  /** The source MAC written on egress to warp0 when obfuscation_level >= 2. */
  readonly egressMac: string;
  /** The MAC rotation salt every MAC here is derived under ('' = the initial MACs). */
  readonly macSalt: string;
  /** The client access port (lab / bare metal), or null. */
  readonly accessPort: string | null;
}

/** Object ids of the ports that are not container sockets. */
export const OBJECT_ID = { warp: 1, meshUplink: 2, access: 3, ingress: 4 } as const;
/** The ingress port's name on the bridge (node side; docs/ingress.md). */
export const INGRESS_PORT = 'prv-ingress';
/** Largest object id: meter ids and cookies reserve 16 bits for it. */
export const MAX_OBJECT_ID = 0xffff;

/** Options of {@link addressPlan}. */
export interface AddressPlanOptions {
  /** MAC rotation salt (e.g. the rotation generation); '' = the initial MACs. */
  macSalt?: string;
  /** Add a client access port with this name (lab / bare metal, chain .2). */
  accessPort?: string;
  /** Add the node's ingress port with this name (chain .3; wireguard.uplink set). */
  ingressPort?: string;
}

/** Deterministic locally administered unicast MAC for `name` under `salt`. */
export function deriveMac(name: string, salt = ''): string {
  const h = createHash('sha256').update(`privroute-mac\0${salt}\0${name}`).digest();
  const bytes = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Host number `host` inside IPv4 CIDR `cidr`, or null if it does not fit (network/broadcast excluded). */
export function hostInSubnet4(cidr: string, host: number): string | null {
  const [addr, len] = ipaddr.parseCIDR(cidr);
  if (addr.kind() !== 'ipv4') return null;
  const size = 2 ** (32 - len);
  if (!Number.isInteger(host) || host < 1 || host >= size - 1) return null;
  const base = (addr as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
  const n = base - (base % size) + host;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Host number `host` inside IPv6 CIDR `cidr`, or null if it does not fit. */
export function hostInSubnet6(cidr: string, host: number): string | null {
  const [addr, len] = ipaddr.parseCIDR(cidr);
  if (addr.kind() !== 'ipv6') return null;
  const bits = 128 - len;
  if (!Number.isInteger(host) || host < 1 || BigInt(host) >= 1n << BigInt(bits)) return null;
  let n = (addr as ipaddr.IPv6).toByteArray().reduce((a, b) => (a << 8n) | BigInt(b), 0n);
  n = ((n >> BigInt(bits)) << BigInt(bits)) | BigInt(host);
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

interface Decl {
  name: string;
  role: PortRole;
  objectId: number;
  net: 'chain' | 'mesh';
  path: string;
}

/**
 * Compute the address plan from the config. Pure. Throws InputError (naming the
 * config path) when a container id does not fit its subnet or the flow id space,
 * or when two declarations of one socket disagree.
 */
export function addressPlan(config: Config, opts: AddressPlanOptions = {}): Topology {
  const r = config.plugins.privacy_router;
  const salt = opts.macSalt ?? '';
  const problems: InputProblem[] = [];
  const decls = new Map<string, Decl>();
  const add = (d: Decl) => {
    const prev = decls.get(d.name);
    if (!prev) {
      decls.set(d.name, d);
      return;
    }
    // The same socket may be declared in several places; they must agree.
    if (prev.objectId !== d.objectId || prev.net !== d.net) {
      problems.push({ path: d.path, value: d.name, expected: `agree with ${prev.path} (container ${prev.objectId}, ${prev.net} network) or use another socket name` });
    } else if (prev.role === 'privacy' && d.role !== 'privacy') {
      decls.set(d.name, { ...prev, role: d.role });
    }
  };
  if (r.wireguard.enabled) add({ name: r.wireguard.socket_port, role: 'gateway', objectId: r.wireguard.container_id, net: 'chain', path: `${ROOT}.wireguard.socket_port` });
  if (r.xray.enabled) add({ name: r.xray.socket_port, role: 'xray', objectId: r.xray.container_id, net: 'chain', path: `${ROOT}.xray.socket_port` });
  r.socket_networking.privacy_sockets.forEach((s, i) =>
    add({ name: s.name, role: 'privacy', objectId: s.container_id, net: 'chain', path: `${ROOT}.socket_networking.privacy_sockets[${i}]` }),
  );
  r.socket_networking.mesh_sockets.forEach((s, i) =>
    add({ name: s.name, role: 'mesh', objectId: s.container_id, net: 'mesh', path: `${ROOT}.socket_networking.mesh_sockets[${i}]` }),
  );
  r.containers.forEach((c, i) => {
    if (c.network_type === 'mesh') add({ name: c.socket_port, role: 'mesh', objectId: c.id, net: 'mesh', path: `${ROOT}.containers[${i}]` });
  });
  if (r.warp.enabled) add({ name: r.warp.interface, role: 'warp', objectId: OBJECT_ID.warp, net: 'chain', path: `${ROOT}.warp.interface` });
  if (r.netmaker.enabled) add({ name: r.netmaker.interface, role: 'mesh-uplink', objectId: OBJECT_ID.meshUplink, net: 'mesh', path: `${ROOT}.netmaker.interface` });
  if (opts.accessPort) add({ name: opts.accessPort, role: 'access', objectId: OBJECT_ID.access, net: 'chain', path: 'accessPort' });
  if (opts.ingressPort) add({ name: opts.ingressPort, role: 'ingress', objectId: OBJECT_ID.ingress, net: 'chain', path: `${ROOT}.wireguard.uplink` });

  const byId = new Map<number, Decl>();
  const ports: TopologyPort[] = [];
  for (const d of decls.values()) {
    const other = byId.get(d.objectId);
    if (other) problems.push({ path: d.path, value: d.objectId, expected: `a container id not already used by ${other.name} (${other.path})` });
    byId.set(d.objectId, d);
    if (d.objectId < 1 || d.objectId > MAX_OBJECT_ID) {
      problems.push({ path: d.path, value: d.objectId, expected: `a container id 1..${MAX_OBJECT_ID} (it names the socket in flows and meters)` });
      continue;
    }
    // Container ids 1-4 would collide with the object ids (and host numbers 1-3) of warp0/nm-privacy/access/ingress.
    const isSocket = d.role !== 'warp' && d.role !== 'mesh-uplink' && d.role !== 'access' && d.role !== 'ingress';
    if (isSocket && d.objectId <= OBJECT_ID.ingress) {
      problems.push({ path: d.path, value: d.objectId, expected: 'a container id >= 5 (object ids 1-4 are reserved for warp0, nm-privacy, the access port and the ingress port)' });
      continue;
    }
    const cidr = d.net === 'chain' ? r.chain_network.subnet : r.mesh_network.subnet;
    const cidrPath = d.net === 'chain' ? `${ROOT}.chain_network.subnet` : `${ROOT}.mesh_network.subnet`;
    // warp0 and nm-privacy are .1 of their networks, the access port .2, the ingress port .3, sockets .<ctid>.
    const host = d.role === 'warp' || d.role === 'mesh-uplink' ? 1 : d.role === 'access' ? 2 : d.role === 'ingress' ? 3 : d.objectId;
    const ip = hostInSubnet4(cidr, host);
    if (!ip) {
      problems.push({ path: d.path, value: d.objectId, expected: `a container id that is a host number inside ${cidrPath} (${cidr}); widen the subnet or renumber the container` });
      continue;
    }
    const port: TopologyPort = { name: d.name, role: d.role, objectId: d.objectId, ip, prefixLen: Number(cidr.split('/')[1]), mac: deriveMac(d.name, d.role === 'access' ? '' : salt) };
    if (d.net === 'chain' && r.chain_network.subnet6) {
      const ip6 = hostInSubnet6(r.chain_network.subnet6, host);
      if (!ip6) problems.push({ path: `${ROOT}.chain_network.subnet6`, value: r.chain_network.subnet6, expected: `room for host number ${host}` });
      else Object.assign(port, { ip6, prefixLen6: Number(r.chain_network.subnet6.split('/')[1]) });
    }
    ports.push(port);
  }
  if (problems.length) throw new InputError(problems);
  ports.sort((a, b) => a.objectId - b.objectId);
  return Object.freeze({
    bridge: r.bridge_name,
    ports: Object.freeze(ports.map((p) => Object.freeze(p))),
    egressMac: deriveMac(`egress:${r.warp.interface}`, salt),
    macSalt: salt,
    accessPort: opts.accessPort ?? null,
  });
}

/** The port named `name`, or undefined. */
export function portByName(topo: Topology, name: string): TopologyPort | undefined {
  return topo.ports.find((p) => p.name === name);
}

/** The first port with `role`, or undefined. */
export function portByRole(topo: Topology, role: PortRole): TopologyPort | undefined {
  return topo.ports.find((p) => p.role === role);
}
