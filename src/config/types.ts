/**
 * The typed, validated configuration.
 *
 * The JSON layout is the owner's seed format (seeds/privacy-router-tunnel.md,
 * "Configuration Example") accepted as-is: `{version, plugins: {privacy_router: {...}}}`
 * with snake_case keys. privroute adds fields under `plugins.privacy_router`; every
 * added field has a safe default or is required only by the command that uses it.
 * A loaded Config is deep-frozen.
 */

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

export interface OvsConfig {
  /** OVSDB endpoint: `unix:/path` or `tcp:host:port`. Default unix:/var/run/openvswitch/db.sock. */
  db: string;
  /** ovs-vswitchd run dir; the OpenFlow management socket is `<rundir>/<bridge>.mgmt`. */
  rundir: string;
  /** Override for the OpenFlow endpoint: `unix:/path` or `tcp:host:port`. null = mgmt socket. */
  openflow: string | null;
  /** `system` on Proxmox (kernel datapath), `netdev` in the lab. */
  datapath_type: 'system' | 'netdev';
  /** Always `secure` unless the user explicitly opts out (it is the fail-closed guarantee). */
  fail_mode: 'secure' | 'standalone';
}

/** Addresses of the chain's transit network between sockets (the node side is warp0). */
export interface ChainNetwork {
  /** IPv4 CIDR shared by warp0 and the privacy sockets. Default 10.77.0.0/24. */
  subnet: string;
  /** IPv6 CIDR, or null for none. */
  subnet6: string | null;
  /** The MTU of every privacy socket. */
  mtu: number;
}

/** Addresses of the mesh network (nm-privacy + mesh sockets); disjoint from the chain. */
export interface MeshNetwork {
  subnet: string;
}

export interface WireguardConfig {
  enabled: boolean;
  container_id: number;
  socket_port: string;
  zero_config: boolean;
  listen_port: number;
  /** Interface name inside the gateway container. Must be machine-unique with wireguard-go. */
  interface: string;
  /** Client subnet (IPv4 CIDR); the gateway takes its first host. */
  subnet: string;
  /** Optional client IPv6 subnet. */
  subnet6: string | null;
  /** DNS written into client configs; empty = the gateway's own address (resolved through the chain). */
  dns: readonly string[];
  /** `host:port` clients dial; required by add-client. */
  endpoint: string | null;
  mtu: number;
  persistent_keepalive: number;
  backend: WgBackendKind;
  /**
   * An OVS port (on the bridge) through which client devices reach the gateway's
   * WireGuard port: the node's LAN NIC added to the bridge, or the lab's client
   * port. It may send only ARP and UDP to <gateway>:listen_port. null = none.
   */
  access_port: string | null;
}

export interface WarpConfig {
  enabled: boolean;
  interface: string;
  /** A wgcf-profile.conf path to import instead of registering, or null. */
  wgcf_config: string | null;
  /** API base URL including the version segment. */
  api_base: string;
  /** File holding a WARP+ license, or null. */
  license_file: string | null;
  /** Name of the WireGuard device that carries the tunnel (node side). */
  tunnel_interface: string;
  mtu: number;
  /** Policy-routing table for traffic arriving on warp0. */
  route_table: number;
  /** Extra CA bundle for the API (the lab stand-in's CA), or null for the system store. */
  api_ca_file: string | null;
}

export interface XrayConfig {
  enabled: boolean;
  container_id: number;
  socket_port: string;
  socks_port: number;
  vps_address: string;
  vps_port: number;
  profile: XrayProfile;
  /** dokodemo-door transparent port inside CT101. */
  transparent_port: number;
  /** Local DNS inbound inside CT101 that carries DNS through the tunnel. */
  dns_port: number;
  /** Upstream resolver the VPS side uses for chain DNS. */
  upstream_dns: string;
  /** URL probed through SOCKS by health checks. */
  probe_url: string;
  /** Prefix of privroute's files inside CT101 ('' = /; the lab uses a private dir). */
  files_root: string;
}

export interface VpsSsh {
  /** Defaults to vps.xray_server. */
  host: string | null;
  port: number;
  user: string;
  key_file: string | null;
  /** Pinned host key fingerprint, `SHA256:<base64>` as `ssh-keygen -lf` prints. */
  host_key: string | null;
}

export interface VpsConfig {
  xray_server: string;
  xray_port: number;
  ssh: VpsSsh;
  engine_install: EngineInstall;
  /** Local binary uploaded when engine_install = upload; remote path when present. */
  engine_binary: string | null;
  /** REALITY camouflage target and SNI list. */
  reality_target: string;
  reality_server_names: readonly string[];
  /** Manage a firewall on the VPS: none, ufw, or iptables. */
  firewall: 'none' | 'ufw' | 'iptables';
  /** Prefix of privroute's files on the VPS ('' = /; the lab uses a private dir). */
  files_root: string;
}

export interface SocketNetworking {
  enabled: boolean;
  network_type: string;
  privacy_sockets: readonly SocketDecl[];
  mesh_sockets: readonly SocketDecl[];
}

export interface OpenflowConfig {
  enabled: boolean;
  enable_security_flows: boolean;
  obfuscation_level: 0 | 1 | 2 | 3;
  privacy_flows: readonly PrivacyFlowDecl[];
  function_routing: readonly FunctionRouteDecl[];
  /** Packets/s allowed for ARP and for ICMP per socket (meters). */
  arp_rate_pps: number;
  icmp_rate_pps: number;
}

export interface NetmakerConfig {
  enabled: boolean;
  interface: string;
  network_name: string;
  per_node_interface: boolean;
  node_id: string | null;
  /** File with the enrollment token; required by init when enabled. */
  token_file: string | null;
}

export interface RuntimeConfig {
  kind: RuntimeKind;
  /** netns runtime: namespace name for container N is `<prefix><N>`. */
  netns_prefix: string;
  /**
   * Run node-side commands inside this network namespace instead of the host's
   * own (the lab's "node" namespace). null on a real node.
   */
  node_netns: string | null;
  /** pct: OS template used to create a missing container (e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst). */
  template: string | null;
  /** pct: storage for a new container's rootfs. */
  storage: string;
  /** pct: an operator-supplied Xray-core binary on the node, pushed into the XRay container (null: Debian's v2ray). */
  xray_binary: string | null;
  /** pct: the pinned lowercase hex SHA-256 of xray_binary. */
  xray_sha256: string | null;
  /** pct: the file init writes the chain bridge's ifupdown2 stanza to (null: none). Default /etc/network/interfaces.d/privroute. */
  interfaces_file: string | null;
}

export interface DaemonSchedules {
  health: string;
  rotate_warp: string;
  rotate_xray: string;
  rotate_mac: string;
  expire_clients: string;
}

export interface DaemonConfig {
  /** `host:port` of the status endpoint. Default 127.0.0.1:9477. */
  listen: string;
  /** File holding the bearer token for /status and /metrics; null = no auth on loopback only. */
  token_file: string | null;
  schedules: DaemonSchedules;
}

/** `plugins.privacy_router`: everything privroute reads. */
export interface RouterConfig {
  bridge_name: string;
  ovs: OvsConfig;
  runtime: RuntimeConfig;
  chain_network: ChainNetwork;
  mesh_network: MeshNetwork;
  wireguard: WireguardConfig;
  warp: WarpConfig;
  xray: XrayConfig;
  vps: VpsConfig;
  socket_networking: SocketNetworking;
  openflow: OpenflowConfig;
  netmaker: NetmakerConfig;
  containers: readonly ContainerDecl[];
  daemon: DaemonConfig;
}

/** The whole file. */
export interface Config {
  version: 1;
  plugins: { privacy_router: RouterConfig };
}
