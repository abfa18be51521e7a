/**
 * Default values and well-known paths of the configuration. The schema
 * (schema.ts) uses these; other components may import them (e.g. to show a
 * default in help text) instead of repeating literals.
 */

/** The config file used when neither --config nor $PRIVROUTE_CONFIG is set. */
export const DEFAULT_CONFIG_PATH = '/etc/privroute/config.json';
/** Environment variable naming the config file. */
export const CONFIG_ENV = 'PRIVROUTE_CONFIG';

/** Prefix of every config key privroute reads. */
export const ROOT = 'plugins.privacy_router';

export const DEFAULTS = {
  bridge_name: 'ovsbr0',
  ovs_db: 'unix:/var/run/openvswitch/db.sock',
  ovs_rundir: '/var/run/openvswitch',
  netns_prefix: 'privroute-ct',
  /** pct: Proxmox's Debian 12 template (`pveam download local <name>`). */
  template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst',
  chain_subnet: '10.77.0.0/24',
  // >= wg_mtu + 80: the gateway's encrypted packets to clients cross the chain network.
  chain_mtu: 1500,
  mesh_subnet: '10.78.0.0/24',
  wg_container_id: 100,
  wg_socket: 'internal_100',
  wg_listen_port: 51820,
  wg_interface: 'wg0',
  wg_subnet: '10.13.13.0/24',
  wg_mtu: 1420,
  wg_keepalive: 25,
  warp_interface: 'warp0',
  warp_api_base: 'https://api.cloudflareclient.com/v0a1922',
  warp_tunnel_interface: 'wgwarp',
  warp_mtu: 1280,
  warp_route_table: 51820,
  // Below the kernel's ephemeral range (32768-60999), so no client socket can hold it first.
  warp_listen_port: 24080,
  xray_container_id: 101,
  xray_socket: 'internal_101',
  xray_socks_port: 1080,
  xray_transparent_port: 12345,
  xray_dns_port: 5353,
  xray_upstream_dns: '1.1.1.1',
  xray_probe_url: 'https://www.cloudflare.com/cdn-cgi/trace',
  vps_port: 443,
  ssh_port: 22,
  ssh_user: 'root',
  reality_target: 'www.microsoft.com:443',
  netmaker_interface: 'nm-privacy',
  netmaker_network: 'privacy-mesh',
  daemon_listen: '127.0.0.1:9477',
  schedules: {
    health: '*/1 * * * *',
    rotate_warp: '0 4 * * 0',
    rotate_xray: '0 5 * * 0',
    rotate_mac: '0 3 * * *',
    expire_clients: '*/5 * * * *',
  },
  arp_rate_pps: 100,
  icmp_rate_pps: 100,
} as const;
