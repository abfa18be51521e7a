/**
 * The endpoint clients dial (`wireguard.endpoint`): a configured `host:port`, or
 * `auto` = the node uplink's public address and listen_port (the address the
 * ingress forwards, docs/ingress.md). Behind NAT the uplink holds only a private
 * address the internet cannot reach: `auto` then refuses (InputError, exit 2)
 * and names the key the operator must set.
 */
import ipaddr from 'ipaddr.js';
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { linkShowArgv, parseIpAddrJson } from '../net/links.js';

const KEY = 'plugins.privacy_router.wireguard.endpoint';
/** Ranges that are not reachable from the internet (an uplink holding only these is behind NAT). */
const NOT_PUBLIC = new Set(['private', 'carrierGradeNat', 'linkLocal', 'loopback', 'uniqueLocal', 'unspecified', 'multicast', 'broadcast']);

/**
 * Pick the endpoint from the uplink's global addresses (CIDRs, as `ip addr` lists
 * them). Pure. IPv4 first (every client network has it), then IPv6 (`[addr]:port`).
 * Throws InputError naming wireguard.endpoint when none is public.
 */
export function pickAutoEndpoint(uplink: string, addrs: readonly string[], port: number): string {
  const ips = addrs.map((a) => a.split('/')[0]!).filter((a) => ipaddr.isValid(a));
  const pub = ips.filter((a) => !NOT_PUBLIC.has(ipaddr.parse(a).range()));
  const v4 = pub.find((a) => !a.includes(':'));
  if (v4) return `${v4}:${port}`;
  const v6 = pub.find((a) => a.includes(':'));
  if (v6) return `[${v6}]:${port}`;
  const why = ips.length
    ? `the uplink ${uplink} holds only private addresses (${ips.join(', ')}): the node is behind NAT, so set the public host:port the NAT forwards to it`
    : `the uplink ${uplink} has no global address: set the public host:port clients dial`;
  throw new InputError({ path: KEY, value: 'auto', expected: `"host:port" — ${why}` });
}

/**
 * The endpoint in force for `config`: the configured one, or for `auto` read from
 * the node's uplink through `node` (read-only). InputError (exit 2) when `auto`
 * cannot be resolved or there is no endpoint at all.
 */
export async function resolveEndpoint(config: Config, node: HostExec): Promise<string> {
  const wg = config.plugins.privacy_router.wireguard;
  if (!wg.endpoint) throw new InputError({ path: KEY, value: undefined, expected: 'the public host:port clients dial, e.g. "vpn.example.com:51820", or "auto" (needs wireguard.uplink)' });
  if (wg.endpoint !== 'auto') return wg.endpoint;
  if (!wg.uplink) throw new InputError({ path: 'plugins.privacy_router.wireguard.uplink', value: null, expected: 'the uplink interface (e.g. "vmbr0"): endpoint "auto" reads its address' });
  const r = await node.run(linkShowArgv(wg.uplink), { okCodes: [0, 1] });
  const link = r.code === 0 ? parseIpAddrJson(r.stdout).get(wg.uplink) : undefined;
  if (!link) throw new InputError({ path: 'plugins.privacy_router.wireguard.uplink', value: wg.uplink, expected: 'an interface that exists on the node' });
  return pickAutoEndpoint(wg.uplink, link.addrs, wg.listen_port);
}
