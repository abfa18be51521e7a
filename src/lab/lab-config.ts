/**
 * The lab's privroute config: the owner's seed example (accepted as-is) with the
 * lab's facts layered on top — the netns runtime, the private OVS, the WARP API
 * stand-in, the lab VPS reached over SSH with its pinned host key, the client
 * access port, the node's uplink (ingress for the wan client), the `vless-tls` profile (Debian's v2ray cannot enforce REALITY:
 * privroute refuses it there), and private file roots. Pure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { siteAddr } from './world.js';

/** Everything the lab knows when it writes the config. */
export interface LabFacts {
  prefix: string;
  /** Private dir of the lab. */
  dir: string;
  ovs: { dbEndpoint: string; rundir: string };
  warpApi: { url: string; caFile: string };
  vps: { keyFile: string; hostKey: string };
  /** Name of the client access port on the bridge (null: no client on this node). */
  accessPort: string | null;
  /** The pct runtime (the stand-in over real LXC) with this template; default: namespaces. */
  pctTemplate?: string;
  /** The mesh: the Netmaker server stand-in (joined with its master key) and this node's netclient stand-in. */
  mesh?: { serverUrl: string; caFile: string; masterKeyFile: string; netclient: string; iface: string; nodeId: string };
}

/** The lab chain's IPv6 subnet (ULA; exists only inside the lab's namespaces). */
export const LAB_CHAIN6 = 'fd77::/64';

/** Where the seed example lives (a verbatim copy used by the config tests). */
export function seedConfigPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/lab → repo root is ../..; dist/src/lab → ../../..
  for (const up of ['../..', '../../..']) {
    const p = path.resolve(here, up, 'test/fixtures/config/seed.json');
    try {
      readFileSync(p);
      return p;
    } catch {
      /* try the next */
    }
  }
  throw new Error('seed config (test/fixtures/config/seed.json) not found next to the lab code');
}

/** wireguard-go interface names of the lab: machine-unique, <= 15 chars. */
export function labIfnames(prefix: string): { gateway: string; warp: string; edge: string; client: string; phone: string } {
  return { gateway: `${prefix}wg`, warp: `${prefix}wrp`, edge: `${prefix}edg`, client: `${prefix}cli`, phone: `${prefix}ph` };
}

/** The lab config (JSON-ready object). */
export function labConfig(f: LabFacts): Record<string, unknown> {
  const seed = JSON.parse(readFileSync(seedConfigPath(), 'utf8')) as { plugins: { privacy_router: Record<string, unknown> } };
  const r = seed.plugins.privacy_router as Record<string, any>;
  const names = labIfnames(f.prefix);
  const vps = siteAddr('vps').v4;
  // The chain carries IPv6 too (a ULA /64): the gateway listens on its chain IPv6 address, so the
  // ingress forwards the wan client's WireGuard over IPv6 as well (docs/ingress.md).
  r.chain_network = { ...r.chain_network, subnet6: LAB_CHAIN6 };
  r.ovs = { db: f.ovs.dbEndpoint, rundir: f.ovs.rundir, openflow: null, datapath_type: 'netdev', fail_mode: 'secure' };
  r.runtime = f.pctTemplate
    ? { kind: 'pct', netns_prefix: `${f.prefix}-ct`, node_netns: null, template: f.pctTemplate, storage: 'local-lvm', xray_binary: null, xray_sha256: null, interfaces_file: path.join(f.dir, 'interfaces.d', 'privroute') }
    : { kind: 'netns', netns_prefix: `${f.prefix}-ct`, node_netns: null, template: null, storage: 'local-lvm', xray_binary: null, xray_sha256: null, interfaces_file: null };
  r.wireguard = {
    ...r.wireguard,
    interface: names.gateway,
    // What add-client hands out: the node's uplink address, found by privroute (the access client is told the LAN address instead).
    endpoint: 'auto',
    access_port: f.accessPort,
    uplink: 'up0',
    backend: 'userspace',
  };
  r.warp = { ...r.warp, api_base: f.warpApi.url, api_ca_file: f.warpApi.caFile, tunnel_interface: names.warp };
  r.xray = {
    ...r.xray,
    vps_address: vps,
    profile: 'vless-tls',
    upstream_dns: siteAddr('inet').v4,
    probe_url: `http://${siteAddr('inet').v4}/`,
    // pct: CT101 has its own filesystem (the engine's files live in it); netns: a private dir.
    files_root: f.pctTemplate ? '' : path.join(f.dir, 'ct101-files'),
  };
  r.vps = {
    ...r.vps,
    xray_server: vps,
    ssh: { host: vps, port: 22, user: 'root', key_file: f.vps.keyFile, host_key: f.vps.hostKey },
    engine_install: 'present',
    engine_binary: '/usr/bin/v2ray',
    firewall: 'none',
    files_root: path.join(f.dir, 'vps-files'),
  };
  if (f.mesh) {
    r.netmaker = {
      ...r.netmaker,
      server_url: f.mesh.serverUrl,
      master_key_file: f.mesh.masterKeyFile,
      api_ca_file: f.mesh.caFile,
      netclient: f.mesh.netclient,
      restart: [f.mesh.netclient, 'service-restart'],
      mesh_interface: f.mesh.iface,
      node_id: f.mesh.nodeId,
    };
  }
  return seed;
}
