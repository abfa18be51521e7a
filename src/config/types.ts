/**
 * The typed, validated configuration.
 *
 * The JSON layout is the owner's seed format (seeds/privacy-router-tunnel.md,
 * "Configuration Example") accepted as-is: `{version, plugins: {privacy_router: {...}}}`
 * with snake_case keys. privroute adds fields under `plugins.privacy_router`; every
 * added field has a safe default or is required only by the command that uses it.
 * A loaded Config is deep-frozen.
 *
 * The section and file types are derived from the convict schema (schema.ts),
 * the one place a key is declared; only the element types of object arrays
 * (which convict cannot describe, arrays.ts checks them) and the named unions
 * are written here.
 */
import type { ConfigOf, SCHEMA } from './schema.js';

export type RuntimeKind = 'pct' | 'netns';
export type PortType = 'privacy' | 'mesh';
export type XrayProfile = 'vless-reality-vision' | 'vless-tls';
export type EngineInstall = 'package' | 'upload' | 'present' | 'none';
export type WgBackendKind = 'userspace' | 'kernel';

/** An OVS internal port ("socket") moved into a container's netns. */
export interface SocketDecl {
  name: string;
  container_id: number;
  port_type: PortType;
}

/** One of the seed's `privacy_flows`: match fields by name, actions in ovs-ofctl words. */
export interface PrivacyFlowDecl {
  priority: number;
  /** e.g. `{in_port: "internal_100"}`; values are strings or numbers as in ovs-ofctl. */
  match_fields: Readonly<Record<string, string | number>>;
  /** e.g. `["output:warp0"]`, `["drop"]`. */
  actions: readonly string[];
  description?: string;
}

/** One of the seed's `function_routing` entries. */
export interface FunctionRouteDecl {
  function: string;
  target_socket: string;
  /** The seed uses `{tcp_dst: "8080"}` (a string); `udp_dst` is accepted too. */
  match_fields: Readonly<Record<string, string | number>>;
}

export interface ContainerDecl {
  id: number;
  name: string;
  container_type: string;
  socket_port: string;
  network_type: PortType;
}

// Every type below is derived from the schema (src/config/schema.ts): a key, its
// type, its check, its default and its documentation are declared there, once.

/** The whole file. */
export type Config = ConfigOf<typeof SCHEMA>;
/** `plugins.privacy_router`: everything privroute reads. */
export type RouterConfig = Config['plugins']['privacy_router'];
export type OvsConfig = RouterConfig['ovs'];
/** Addresses of the chain's transit network between sockets (the node side is warp0). */
export type ChainNetwork = RouterConfig['chain_network'];
/** Addresses of the mesh network (nm-privacy + mesh sockets); disjoint from the chain. */
export type MeshNetwork = RouterConfig['mesh_network'];
export type WireguardConfig = RouterConfig['wireguard'];
export type WarpConfig = RouterConfig['warp'];
export type XrayConfig = RouterConfig['xray'];
export type VpsSsh = RouterConfig['vps']['ssh'];
export type VpsConfig = RouterConfig['vps'];
export type SocketNetworking = RouterConfig['socket_networking'];
export type OpenflowConfig = RouterConfig['openflow'];
export type NetmakerConfig = RouterConfig['netmaker'];
export type RuntimeConfig = RouterConfig['runtime'];
export type DaemonSchedules = RouterConfig['daemon']['schedules'];
export type DaemonConfig = RouterConfig['daemon'];
