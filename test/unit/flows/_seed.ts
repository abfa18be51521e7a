/**
 * The seed's example config (test/fixtures/config/seed.json) completed with the
 * documented defaults (src/config/defaults.ts), as a typed Config for the flow
 * compiler's tests. Independent of the config loader so these tests exercise the
 * compiler alone; `override` patches the openflow section (and anything else).
 */
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../../src/config/defaults.js';
import type { Config, RouterConfig } from '../../../src/config/types.js';

const RAW = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8'));

/** A full RouterConfig from the seed plus defaults. */
export function seedRouter(): RouterConfig {
  const s = structuredClone(RAW.plugins.privacy_router);
  return {
    bridge_name: s.bridge_name,
    ovs: { db: DEFAULTS.ovs_db, rundir: DEFAULTS.ovs_rundir, openflow: null, datapath_type: 'system', fail_mode: 'secure' },
    runtime: { kind: 'pct', netns_prefix: DEFAULTS.netns_prefix },
    chain_network: { subnet: DEFAULTS.chain_subnet, subnet6: null, mtu: DEFAULTS.chain_mtu },
    mesh_network: { subnet: DEFAULTS.mesh_subnet },
    wireguard: {
      ...s.wireguard, interface: DEFAULTS.wg_interface, subnet: DEFAULTS.wg_subnet, subnet6: null, dns: [], endpoint: null,
      mtu: DEFAULTS.wg_mtu, persistent_keepalive: DEFAULTS.wg_keepalive, backend: 'userspace',
    },
    warp: {
      ...s.warp, api_base: DEFAULTS.warp_api_base, license_file: null, tunnel_interface: DEFAULTS.warp_tunnel_interface,
      mtu: DEFAULTS.warp_mtu, route_table: DEFAULTS.warp_route_table, api_ca_file: null,
    },
    xray: {
      ...s.xray, profile: 'vless-reality-vision', transparent_port: DEFAULTS.xray_transparent_port, dns_port: DEFAULTS.xray_dns_port,
      upstream_dns: DEFAULTS.xray_upstream_dns, probe_url: DEFAULTS.xray_probe_url,
    },
    vps: {
      ...s.vps, ssh: { host: null, port: 22, user: 'root', key_file: null, host_key: null }, engine_install: 'package', engine_binary: null,
      reality_target: DEFAULTS.reality_target, reality_server_names: ['www.microsoft.com'], firewall: 'none',
    },
    socket_networking: s.socket_networking,
    openflow: { ...s.openflow, arp_rate_pps: DEFAULTS.arp_rate_pps, icmp_rate_pps: DEFAULTS.icmp_rate_pps },
    netmaker: { ...s.netmaker, token_file: null },
    containers: s.containers,
    daemon: { listen: DEFAULTS.daemon_listen, token_file: null, schedules: { ...DEFAULTS.schedules } },
  };
}

/** The seed config, with `patch` applied to plugins.privacy_router. */
export function seedConfig(patch: (r: RouterConfig) => void = () => {}): Config {
  const r = seedRouter();
  patch(r);
  return { version: 1, plugins: { privacy_router: r } };
}
