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

const bool = (d: boolean) => ({ doc: '', ...fmt((v) => (typeof v === 'boolean' ? null : 'expected true or false')), default: d });
const int = (d: number, min: number, max: number) => ({ doc: '', ...fmt((v) => checkIntRange(v, min, max)), default: d });
const port = (d: number) => ({ doc: '', ...fmt(checkPort), default: d });
/** A prefix for privroute's files: '' (the real /) or an absolute dir (the lab). */
const filesRoot = () => ({ doc: '', ...fmt((v) => (v === '' || (typeof v === 'string' && /^\/[^\0]*[^/]$/.test(v)) ? null : "expected '' or an absolute directory path without a trailing slash")), default: '' });
const ifname = (d: string) => ({ doc: '', ...fmt(checkIfname), default: d });
const str = (d: string) => ({ doc: '', ...fmt((v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string')), default: d });
const oneOf = <T extends string>(d: T, values: readonly T[]) => ({
  doc: '',
  ...fmt((v) => (values.includes(v as T) ? null : `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`)),
  default: d,
});
const nullable = (check: Check) => ({ doc: '', ...fmt(check), default: null, nullable: true });
const nullableStr = (d: string) => ({ doc: '', ...fmt((v) => (typeof v === 'string' ? null : 'expected a string')), default: d });
const cron = (d: string) => ({ doc: '', ...fmt(checkCron), default: d });
const ctid = (d: number) => int(d, 100, 999_999_999);
/** Array whose elements arrays.ts checks (convict cannot describe arrays of objects). */
const objArray = (d: unknown[]) => ({ doc: '', ...fmt((v) => (Array.isArray(v) ? null : 'expected an array')), default: d });
const strArray = (check: Check, what: string, d: string[] = []) => ({
  doc: '',
  ...fmt((v) => (Array.isArray(v) && v.every((x) => check(x) === null) ? null : `expected an array of ${what}`)),
  default: d,
});

/** The schema object handed to convict. Keys mirror `Config` in types.ts. */
export const SCHEMA = {
  version: { doc: 'config format version', ...fmt((v) => (v === 1 ? null : 'expected 1')), default: 1 },
  plugins: {
    privacy_router: {
      bridge_name: ifname(D.bridge_name),
      ovs: {
        db: { doc: 'OVSDB endpoint', ...fmt((v) => (typeof v === 'string' && /^(unix:\/.+|tcp:.+:\d+)$/.test(v) ? null : 'expected unix:/path or tcp:host:port')), default: D.ovs_db },
        rundir: { doc: '', ...fmt(checkAbsPath), default: D.ovs_rundir },
        openflow: nullable((v) => (typeof v === 'string' && /^(unix:\/.+|tcp:.+:\d+)$/.test(v) ? null : 'expected unix:/path, tcp:host:port or null')),
        datapath_type: oneOf<'system' | 'netdev'>('system', ['system', 'netdev']),
        fail_mode: oneOf<'secure' | 'standalone'>('secure', ['secure', 'standalone']),
      },
      runtime: {
        kind: oneOf<'pct' | 'netns'>('pct', ['pct', 'netns']),
        netns_prefix: { doc: '', ...fmt((v) => (typeof v === 'string' && /^[a-zA-Z0-9_.-]{1,40}$/.test(v) ? null : 'expected 1-40 characters from [a-zA-Z0-9_.-]')), default: D.netns_prefix },
        // Lab only: node-side commands run in this namespace. null on a real node.
        node_netns: nullable((v) => (typeof v === 'string' && /^[a-zA-Z0-9_.-]{1,40}$/.test(v) ? null : 'expected a namespace name (1-40 characters from [a-zA-Z0-9_.-]) or null')),
        template: { ...nullable((v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]+:vztmpl\/[A-Za-z0-9_.+-]+$/.test(v) ? null : 'expected <storage>:vztmpl/<file> (see `pveam list local`) or null')), default: D.template },
        // pct: an operator-supplied Xray-core binary on the node, pushed into the XRay container, and its pinned digest.
        xray_binary: nullable(checkAbsPath),
        xray_sha256: nullable((v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? null : 'expected the lowercase hex SHA-256 of runtime.xray_binary (sha256sum <file>) or null')),
        storage: { doc: '', ...fmt((v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? null : 'expected a Proxmox storage id, e.g. local-lvm')), default: 'local-lvm' },
        // pct: the chain bridge's ifupdown2 stanza, so `ifreload -a` keeps privroute's ports (null: not written).
        interfaces_file: { ...nullable(checkAbsPath), default: '/etc/network/interfaces.d/privroute' },
      },
      chain_network: {
        subnet: { doc: '', ...fmt(checkCidr4), default: D.chain_subnet },
        subnet6: nullable(checkCidr6),
        mtu: int(D.chain_mtu, 576, 9000),
      },
      mesh_network: {
        subnet: { doc: '', ...fmt(checkCidr4), default: D.mesh_subnet },
      },
      wireguard: {
        enabled: bool(true),
        container_id: ctid(D.wg_container_id),
        socket_port: ifname(D.wg_socket),
        zero_config: bool(true),
        listen_port: port(D.wg_listen_port),
        interface: ifname(D.wg_interface),
        subnet: { doc: '', ...fmt(checkCidr4), default: D.wg_subnet },
        subnet6: nullable(checkCidr6),
        dns: strArray(checkIp, 'IP addresses, e.g. ["1.1.1.1"] (empty = the gateway itself)'),
        endpoint: nullable(checkHostPort),
        mtu: int(D.wg_mtu, 576, 9000),
        persistent_keepalive: int(D.wg_keepalive, 0, 65535),
        backend: oneOf<'userspace' | 'kernel'>('userspace', ['userspace', 'kernel']),
        access_port: nullable(checkIfname),
      },
      warp: {
        enabled: bool(true),
        interface: ifname(D.warp_interface),
        wgcf_config: nullable(checkAbsPath),
        api_base: { doc: '', ...fmt(checkHttpsUrl), default: D.warp_api_base },
        license_file: nullable(checkAbsPath),
        tunnel_interface: ifname(D.warp_tunnel_interface),
        mtu: int(D.warp_mtu, 576, 9000),
        route_table: int(D.warp_route_table, 1, 0xfffffffe),
        api_ca_file: nullable(checkAbsPath),
      },
      xray: {
        enabled: bool(true),
        container_id: ctid(D.xray_container_id),
        socket_port: ifname(D.xray_socket),
        socks_port: port(D.xray_socks_port),
        // '' = same as vps.xray_server / vps.xray_port (resolved in validate.ts).
        vps_address: { doc: '', ...fmt((v) => (v === '' ? null : checkHost(v))), default: '' },
        vps_port: int(0, 0, 65535),
        profile: oneOf<'vless-reality-vision' | 'vless-tls'>('vless-reality-vision', ['vless-reality-vision', 'vless-tls']),
        transparent_port: port(D.xray_transparent_port),
        dns_port: port(D.xray_dns_port),
        upstream_dns: { doc: '', ...fmt(checkIp), default: D.xray_upstream_dns },
        probe_url: { doc: '', ...fmt(checkUrl), default: D.xray_probe_url },
        files_root: filesRoot(),
      },
      vps: {
        // '' = not configured; required by the commands that reach the VPS (require.ts).
        xray_server: { doc: '', ...fmt((v) => (v === '' ? null : checkHost(v))), default: '' },
        xray_port: port(D.vps_port),
        ssh: {
          host: nullable(checkHost),
          port: port(D.ssh_port),
          user: { doc: '', ...fmt((v) => (typeof v === 'string' && /^[a-z_][a-z0-9_.-]{0,31}$/.test(v) ? null : 'expected a Unix user name')), default: D.ssh_user },
          key_file: nullable(checkAbsPath),
          host_key: nullable(checkFingerprint),
        },
        engine_install: oneOf<'package' | 'upload' | 'present' | 'none'>('package', ['package', 'upload', 'present', 'none']),
        engine_binary: nullable(checkAbsPath),
        reality_target: { doc: '', ...fmt(checkHostPort), default: D.reality_target },
        // [] = the host part of reality_target (resolved in validate.ts).
        reality_server_names: strArray(checkHost, 'host names'),
        firewall: oneOf<'none' | 'ufw' | 'iptables'>('none', ['none', 'ufw', 'iptables']),
        files_root: filesRoot(),
      },
      socket_networking: {
        enabled: bool(true),
        network_type: nullableStr('privacy'),
        privacy_sockets: objArray([
          { name: D.wg_socket, container_id: D.wg_container_id, port_type: 'privacy' },
          { name: D.xray_socket, container_id: D.xray_container_id, port_type: 'privacy' },
        ]),
        mesh_sockets: objArray([]),
      },
      openflow: {
        enabled: bool(true),
        enable_security_flows: bool(true),
        // 0 = none claimed; status reports only what is enforced.
        obfuscation_level: int(0, 0, 3),
        privacy_flows: objArray([]),
        function_routing: objArray([]),
        arp_rate_pps: int(D.arp_rate_pps, 1, 1_000_000),
        icmp_rate_pps: int(D.icmp_rate_pps, 1, 1_000_000),
      },
      netmaker: {
        // Off unless asked for: it needs an enrollment token and a server.
        enabled: bool(false),
        interface: ifname(D.netmaker_interface),
        network_name: str(D.netmaker_network),
        per_node_interface: bool(true),
        node_id: nullable((v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string or null')),
        token_file: nullable(checkAbsPath),
      },
      containers: objArray([]),
      daemon: {
        listen: { doc: '', ...fmt(checkHostPort), default: D.daemon_listen },
        token_file: nullable(checkAbsPath),
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
