/**
 * The convict schema of the config file: every key, its default and its
 * per-value check. The seed's keys are kept as-is; privroute's additions all
 * have safe defaults (or null = "required by the command that uses it", see
 * require.ts).
 *
 * Convict validates scalars well but arrays of objects poorly, so array-valued
 * keys only check "is an array" here; their elements are checked in arrays.ts.
 * Every format throws an Error whose message is the "expected ..." text; the
 * validator turns convict's report back into InputProblems (validate.ts).
 */
import convict from 'convict';
import { DEFAULTS as D } from './defaults.js';
import type { ContainerDecl, EngineInstall, FunctionRouteDecl, PrivacyFlowDecl, RuntimeKind, SocketDecl, WgBackendKind, XrayProfile } from './types.js';
import {
  checkAbsPath, checkCidr4, checkCidr6, checkCron, checkFingerprint, checkHost, checkHostPort, checkIfname,
  checkHttpsUrl, checkIntRange, checkIp, checkPort, checkUrl,
} from './formats.js';

type Check = (v: unknown) => string | null;

/** Name of the one convict format every leaf uses; the leaf's own `check` does the work. */
export const FORMAT = 'privroute';

// One global format: validate calls the leaf's `check` (convict passes the schema node
// as the second argument); coerce is the identity, because convict would otherwise
// turn "1080" into 1080 or "false" into false for keys whose default is a number/boolean,
// and the config file must hold the right JSON types.
convict.addFormat({
  name: FORMAT,
  validate(v: unknown, node: convict.SchemaObj) {
    const problem = (node as unknown as { check: Check }).check(v);
    if (problem) throw new Error(problem);
  },
  coerce: (v: unknown) => v,
});

/** A leaf's format fields: the shared format name and its check. */
function fmt(check: Check): { format: string; check: Check } {
  return { format: FORMAT, check };
}

/**
 * One schema leaf whose validated value has type `T`. The type parameter is what
 * {@link ConfigOf} reads: the config's TypeScript types are derived from this
 * schema, so a key, its type, its check and its default are declared once, here.
 */
export interface Leaf<T> {
  doc: string;
  format: string;
  check: Check;
  default: T;
  nullable?: boolean;
  /** Type-level only (never set): the value type of the leaf. */
  readonly __value?: T;
}

/** The typed config of a schema: leaves become their value types, sections objects. */
export type ConfigOf<S> = S extends Leaf<infer T> ? T : { [K in keyof S]: ConfigOf<S[K]> };

/** A leaf of type `T` with its check, default and documentation. */
function leaf<T>(check: Check, d: T, doc = ''): Leaf<T> {
  return { doc, ...fmt(check), default: d };
}

const bool = (d: boolean, doc = ''): Leaf<boolean> => leaf((v) => (typeof v === 'boolean' ? null : 'expected true or false'), d, doc);
const int = (d: number, min: number, max: number, doc = ''): Leaf<number> => leaf<number>((v) => checkIntRange(v, min, max), d, doc);
const port = (d: number, doc = ''): Leaf<number> => leaf(checkPort, d, doc);
/** A prefix for privroute's files: '' (the real /) or an absolute dir (the lab). */
const filesRoot = (doc: string): Leaf<string> =>
  leaf((v) => (v === '' || (typeof v === 'string' && /^\/[^\0]*[^/]$/.test(v)) ? null : "expected '' or an absolute directory path without a trailing slash"), '', doc);
const ifname = (d: string, doc = ''): Leaf<string> => leaf(checkIfname, d, doc);
const str = (d: string, doc = ''): Leaf<string> => leaf((v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string'), d, doc);
const oneOf = <T extends string>(d: T, values: readonly T[], doc = ''): Leaf<T> =>
  leaf<T>((v) => (values.includes(v as T) ? null : `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`), d, doc);
const nullable = <T = string>(check: Check, doc = '', d: T | null = null): Leaf<T | null> => ({ ...leaf<T | null>(check, d, doc), nullable: true });
const anyStr = (d: string, doc = ''): Leaf<string> => leaf((v) => (typeof v === 'string' ? null : 'expected a string'), d, doc);
const cron = (d: string): Leaf<string> => leaf(checkCron, d);
const ctid = (d: number): Leaf<number> => int(d, 100, 999_999_999);
const cidr4 = (d: string, doc = ''): Leaf<string> => leaf(checkCidr4, d, doc);
/** Array whose elements arrays.ts checks (convict cannot describe arrays of objects). */
const objArray = <T>(d: T[], doc = ''): Leaf<readonly T[]> => leaf<readonly T[]>((v) => (Array.isArray(v) ? null : 'expected an array'), d, doc);
const strArray = (check: Check, what: string, doc = ''): Leaf<readonly string[]> =>
  leaf<readonly string[]>((v) => (Array.isArray(v) && v.every((x) => check(x) === null) ? null : `expected an array of ${what}`), [], doc);
const endpointSpec = (what: string): Check => (v) => (typeof v === 'string' && /^(unix:\/.+|tcp:.+:\d+)$/.test(v) ? null : `expected ${what}`);
const nsName = /^[a-zA-Z0-9_.-]{1,40}$/;

/**
 * The schema object handed to convict, and the source of the config's types
 * (types.ts: `Config = ConfigOf<typeof SCHEMA>`). Each leaf's `doc` is the key's
 * documentation.
 */
export const SCHEMA = {
  version: leaf<1>((v) => (v === 1 ? null : 'expected 1'), 1, 'config format version'),
  plugins: {
    privacy_router: {
      bridge_name: ifname(D.bridge_name, 'the chain bridge (privroute\'s own; never a bridge carrying other guests)'),
      ovs: {
        db: leaf(endpointSpec('unix:/path or tcp:host:port'), D.ovs_db as string, 'OVSDB endpoint: unix:/path or tcp:host:port'),
        rundir: leaf(checkAbsPath, D.ovs_rundir as string, 'ovs-vswitchd run dir; the OpenFlow management socket is <rundir>/<bridge>.mgmt'),
        openflow: nullable(endpointSpec('unix:/path, tcp:host:port or null'), 'override for the OpenFlow endpoint: unix:/path or tcp:host:port; null = the management socket'),
        datapath_type: oneOf<'system' | 'netdev'>('system', ['system', 'netdev'], '`system` on Proxmox (kernel datapath), `netdev` in the lab'),
        fail_mode: oneOf<'secure' | 'standalone'>('secure', ['secure', 'standalone'], 'always `secure` unless the user explicitly opts out (it is the fail-closed guarantee)'),
      },
      runtime: {
        kind: oneOf<RuntimeKind>('pct', ['pct', 'netns']),
        netns_prefix: leaf((v) => (typeof v === 'string' && nsName.test(v) ? null : 'expected 1-40 characters from [a-zA-Z0-9_.-]'), D.netns_prefix as string, 'netns runtime: the namespace of container N is <prefix><N>'),
        node_netns: nullable((v) => (typeof v === 'string' && nsName.test(v) ? null : 'expected a namespace name (1-40 characters from [a-zA-Z0-9_.-]) or null'), 'lab only: node-side commands run in this network namespace; null on a real node'),
        template: nullable(
          (v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]+:vztmpl\/[A-Za-z0-9_.+-]+$/.test(v) ? null : 'expected <storage>:vztmpl/<file> (see `pveam list local`) or null'),
          'pct: OS template used to create a missing container',
          D.template as string,
        ),
        xray_binary: nullable(checkAbsPath, 'pct: an operator-supplied Xray-core binary on the node, pushed into the XRay container (null: Debian\'s v2ray)'),
        xray_sha256: nullable((v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? null : 'expected the lowercase hex SHA-256 of runtime.xray_binary (sha256sum <file>) or null'), 'pct: the pinned SHA-256 of xray_binary'),
        storage: leaf((v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? null : 'expected a Proxmox storage id, e.g. local-lvm'), 'local-lvm', 'pct: storage for a new container\'s rootfs'),
        interfaces_file: nullable(
          checkAbsPath,
          'pct: the file init writes the chain bridge\'s ifupdown2 stanza to, so `ifreload -a` keeps privroute\'s ports (null: not written)',
          '/etc/network/interfaces.d/privroute',
        ),
      },
      chain_network: {
        subnet: cidr4(D.chain_subnet, 'IPv4 CIDR shared by warp0 and the privacy sockets'),
        subnet6: nullable(checkCidr6, 'IPv6 CIDR of the chain network, or null for none'),
        mtu: int(D.chain_mtu, 576, 9000, 'the MTU of every privacy socket'),
      },
      mesh_network: {
        subnet: cidr4(D.mesh_subnet, 'addresses of the mesh network (nm-privacy + mesh sockets); disjoint from the chain'),
      },
      wireguard: {
        enabled: bool(true),
        container_id: ctid(D.wg_container_id),
        socket_port: ifname(D.wg_socket),
        zero_config: bool(true),
        listen_port: port(D.wg_listen_port),
        interface: ifname(D.wg_interface, 'interface name inside the gateway container; machine-unique with wireguard-go'),
        subnet: cidr4(D.wg_subnet, 'client subnet (IPv4 CIDR); the gateway takes its first host'),
        subnet6: nullable(checkCidr6, 'optional client IPv6 subnet'),
        dns: strArray(checkIp, 'IP addresses, e.g. ["1.1.1.1"] (empty = the gateway itself)', 'DNS written into client configs; empty = the gateway\'s own address (resolved through the chain)'),
        endpoint: nullable((v) => (v === 'auto' ? null : checkHostPort(v) && 'expected host:port (IPv6 as [addr]:port), port 1..65535, or "auto" (the uplink\'s global address)'), '`host:port` clients dial; required by add-client. "auto": the uplink\'s public address and listen_port (needs uplink; behind NAT the operator sets it)'),
        mtu: int(D.wg_mtu, 576, 9000),
        persistent_keepalive: int(D.wg_keepalive, 0, 65535),
        backend: oneOf<WgBackendKind>('userspace', ['userspace', 'kernel']),
        access_port: nullable(checkIfname, 'an OVS port through which client devices reach the gateway\'s WireGuard port (the node\'s LAN NIC, the lab\'s client port); it may send only ARP and UDP to <gateway>:listen_port; null = none'),
        uplink: nullable(checkIfname, 'the node\'s uplink interface (Proxmox: vmbr0): UDP to its own addresses on listen_port is forwarded to the gateway through the ingress port (docs/ingress.md), and nothing else; null = no ingress'),
      },
      warp: {
        enabled: bool(true),
        interface: ifname(D.warp_interface),
        wgcf_config: nullable(checkAbsPath, 'a wgcf-profile.conf to import instead of registering, or null'),
        api_base: leaf(checkHttpsUrl, D.warp_api_base as string, 'API base URL including the version segment'),
        license_file: nullable(checkAbsPath, 'file holding a WARP+ license, or null'),
        tunnel_interface: ifname(D.warp_tunnel_interface, 'the WireGuard device that carries the tunnel (node side)'),
        mtu: int(D.warp_mtu, 576, 9000),
        route_table: int(D.warp_route_table, 1, 0xfffffffe, 'policy-routing table for traffic arriving on warp0'),
        listen_port: int(D.warp_listen_port, 1, 65535, 'UDP port of the node\'s WARP socket: pinned, so privroute can answer everyone but the WARP edge on it as a closed port (docs/ingress.md)'),
        api_ca_file: nullable(checkAbsPath, 'extra CA bundle for the API (the lab stand-in\'s CA), or null for the system store'),
      },
      xray: {
        enabled: bool(true),
        container_id: ctid(D.xray_container_id),
        socket_port: ifname(D.xray_socket),
        socks_port: port(D.xray_socks_port),
        vps_address: leaf((v) => (v === '' ? null : checkHost(v)), '', "'' = same as vps.xray_server (resolved in validate.ts)"),
        vps_port: int(0, 0, 65535, '0 = same as vps.xray_port (resolved in validate.ts)'),
        profile: oneOf<XrayProfile>('vless-reality-vision', ['vless-reality-vision', 'vless-tls']),
        transparent_port: port(D.xray_transparent_port, 'dokodemo-door transparent port inside CT101'),
        dns_port: port(D.xray_dns_port, 'local DNS inbound inside CT101 that carries DNS through the tunnel'),
        upstream_dns: leaf(checkIp, D.xray_upstream_dns as string, 'upstream resolver the VPS side uses for chain DNS'),
        probe_url: leaf(checkUrl, D.xray_probe_url as string, 'URL probed through SOCKS by health checks'),
        files_root: filesRoot("prefix of privroute's files inside CT101 ('' = /; the lab uses a private dir)"),
      },
      vps: {
        xray_server: leaf((v) => (v === '' ? null : checkHost(v)), '', "'' = not configured; required by the commands that reach the VPS (require.ts)"),
        xray_port: port(D.vps_port),
        ssh: {
          host: nullable(checkHost, 'defaults to vps.xray_server'),
          port: port(D.ssh_port),
          user: leaf((v) => (typeof v === 'string' && /^[a-z_][a-z0-9_.-]{0,31}$/.test(v) ? null : 'expected a Unix user name'), D.ssh_user as string),
          key_file: nullable(checkAbsPath),
          host_key: nullable(checkFingerprint, 'pinned host key fingerprint, SHA256:<base64> as ssh-keygen -lf prints'),
        },
        engine_install: oneOf<EngineInstall>('package', ['package', 'upload', 'present', 'none']),
        engine_binary: nullable(checkAbsPath, 'local binary uploaded when engine_install = upload; remote path when present'),
        reality_target: leaf(checkHostPort, D.reality_target as string, 'REALITY camouflage target'),
        reality_server_names: strArray(checkHost, 'host names', '[] = the host part of reality_target (resolved in validate.ts)'),
        firewall: oneOf<'none' | 'ufw' | 'iptables'>('none', ['none', 'ufw', 'iptables'], 'manage the inbound firewall on the VPS: none, ufw, or iptables'),
        files_root: filesRoot("prefix of privroute's files on the VPS ('' = /; the lab uses a private dir)"),
      },
      socket_networking: {
        enabled: bool(true),
        network_type: anyStr('privacy'),
        privacy_sockets: objArray<SocketDecl>([
          { name: D.wg_socket, container_id: D.wg_container_id, port_type: 'privacy' },
          { name: D.xray_socket, container_id: D.xray_container_id, port_type: 'privacy' },
        ]),
        mesh_sockets: objArray<SocketDecl>([]),
      },
      openflow: {
        enabled: bool(true),
        enable_security_flows: bool(true),
        obfuscation_level: leaf<0 | 1 | 2 | 3>((v) => checkIntRange(v, 0, 3), 0, '0 = none claimed; status reports only what is enforced'),
        privacy_flows: objArray<PrivacyFlowDecl>([]),
        function_routing: objArray<FunctionRouteDecl>([]),
        arp_rate_pps: int(D.arp_rate_pps, 1, 1_000_000, 'packets/s allowed for ARP per socket (meter)'),
        icmp_rate_pps: int(D.icmp_rate_pps, 1, 1_000_000, 'packets/s allowed for ICMP per socket (meter)'),
      },
      netmaker: {
        enabled: bool(false, 'off unless asked for: it needs an enrollment token and a server'),
        interface: ifname(D.netmaker_interface),
        network_name: str(D.netmaker_network),
        per_node_interface: bool(true),
        node_id: nullable((v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string or null')),
        token_file: nullable(checkAbsPath, 'file (0600) with the enrollment token (base64 JSON {server, value}); either this or server_url + master_key_file'),
        // Instead of a token file: the server's API URL and a 0600 master-key file; privroute mints a single-use token.
        server_url: nullable(checkHttpsUrl, 'the Netmaker server API URL (https://api.example.com): privroute mints a single-use enrollment key there'),
        master_key_file: nullable(checkAbsPath, 'file (0600) with the server\'s MASTER_KEY (only with server_url)'),
        api_ca_file: nullable(checkAbsPath, 'extra CA for the server\'s TLS certificate (null = system roots)'),
        // netclient's own WireGuard interface (`netclient -I`); netclient requires the "netmaker" prefix.
        mesh_interface: leaf((v) => (typeof v === 'string' && /^netmaker[A-Za-z0-9_-]{0,7}$/.test(v) ? null : 'expected an interface name starting with "netmaker" (netclient refuses others), at most 15 characters'), 'netmaker', 'netclient\'s WireGuard interface (`netclient -I`); must start with "netmaker"'),
        netclient: leaf((v) => (typeof v === 'string' && v.length > 0 && !/\s/.test(v) ? null : 'expected the netclient executable (a name on PATH or an absolute path)'), 'netclient', 'the netclient executable'),
        restart: leaf<readonly string[]>(
          (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0) ? null : 'expected a non-empty argv (array of non-empty strings)'),
          ['systemctl', 'restart', 'netclient'],
          'argv that restarts the netclient service (repair after a crash)',
        ),
      },
      containers: objArray<ContainerDecl>([]),
      daemon: {
        listen: leaf(checkHostPort, D.daemon_listen as string, 'host:port of the status endpoint'),
        token_file: nullable(checkAbsPath, 'file holding the bearer token for /status and /metrics'),
        schedules: {
          health: cron(D.schedules.health),
          rotate_warp: cron(D.schedules.rotate_warp),
          rotate_xray: cron(D.schedules.rotate_xray),
          rotate_mac: cron(D.schedules.rotate_mac),
          expire_clients: cron(D.schedules.expire_clients),
        },
      },
    },
  },
};

/** True if `node` is a schema leaf (has a default), false if it is a nested section. */
export function isLeaf(node: unknown): boolean {
  return typeof node === 'object' && node !== null && 'default' in node;
}
