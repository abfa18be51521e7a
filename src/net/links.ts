/**
 * Links as `ip -j addr show` prints them, parsed once for every component that
 * observes interfaces (sockets, the gateway, warp0). Pure.
 */

/** One link's observed state. `addrs` are CIDRs of both families ("10.77.0.100/24", "fd00::1/64"). */
export interface LinkState {
  up: boolean;
  mtu: number;
  addrs: string[];
  /** Link-layer address, lower case (absent when `ip` prints none). */
  mac?: string;
}

/** One address of `ip -j addr` (the fields privroute reads). */
export interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope?: string;
}

interface IpJsonLink {
  ifname: string;
  mtu?: number;
  flags?: string[];
  address?: string;
  addr_info?: IpAddrInfo[];
}

/** Keeps global-scope addresses: link- and host-scope ones are the kernel's, never desired state. */
export const globalScope = (a: IpAddrInfo): boolean => a.scope !== 'link' && a.scope !== 'host';

/**
 * Parse `ip -j addr show` output into per-link state by name. Pure; throws on
 * non-JSON. `keep` selects the addresses reported (default: {@link globalScope}).
 * A missing MTU reads as 0.
 */
export function parseIpAddrJson(json: string, keep: (a: IpAddrInfo) => boolean = globalScope): Map<string, LinkState> {
  const out = new Map<string, LinkState>();
  for (const l of JSON.parse(json || '[]') as IpJsonLink[]) {
    out.set(l.ifname, {
      up: (l.flags ?? []).includes('UP'),
      mtu: l.mtu ?? 0,
      addrs: (l.addr_info ?? []).filter(keep).map((a) => `${a.local}/${a.prefixlen}`),
      ...(l.address ? { mac: l.address.toLowerCase() } : {}),
    });
  }
  return out;
}

/**
 * What one link must be: MTU, addresses (CIDRs, both families), up. The link
 * itself is made by its owner (OVS, wireguard-go, a kernel WireGuard `ip link
 * add`); here it is only configured. `prune`: addresses not listed are removed
 * (after the new ones are added).
 */
export interface LinkDesired {
  name: string;
  mtu?: number;
  addrs: readonly string[];
  up: boolean;
  prune?: boolean;
}

/** Keeps every address but the kernel's IPv6 link-local one (a stray address is seen, and pruned where asked). */
export const notLinkLocal6 = (a: IpAddrInfo): boolean => !(a.family === 'inet6' && a.scope === 'link');

/** argv reading one link (exit 1 when it does not exist). */
export const linkShowArgv = (name: string): string[] => ['ip', '-j', 'addr', 'show', 'dev', name];
/** argv setting a link's MTU. */
export const linkMtuArgv = (name: string, mtu: number): string[] => ['ip', 'link', 'set', 'dev', name, 'mtu', String(mtu)];
/** argv adding (or refreshing) an address; `replace` is idempotent. */
export const addrReplaceArgv = (name: string, cidr: string): string[] => ['ip', 'addr', 'replace', cidr, 'dev', name];
/** argv deleting an address. */
export const addrDelArgv = (name: string, cidr: string): string[] => ['ip', 'addr', 'del', cidr, 'dev', name];
/** argv setting a link up. */
export const linkUpArgv = (name: string): string[] => ['ip', 'link', 'set', 'dev', name, 'up'];
/** argv creating a kernel WireGuard link (the kernel backend; wireguard-go makes its own TUN). */
export const wireguardLinkAddArgv = (name: string): string[] => ['ip', 'link', 'add', 'dev', name, 'type', 'wireguard'];
