/**
 * Client address management inside `wireguard.subnet` (and `subnet6`).
 *
 * A client is identified by its host number `n`: IPv4 address = network + n,
 * IPv6 address (when subnet6 is set) = network6 + n. The gateway takes host 1;
 * clients get 2..size-2 (network and broadcast skipped). The lowest free number
 * is the smallest released number (`ipam_free`, filled by revoke) or else
 * MAX(host_index)+1: O(log n) index lookups (migrations 2 and 3).
 * Allocation must run inside the caller's store transaction (BEGIN IMMEDIATE),
 * so concurrent processes serialize and never get the same address.
 */
import type Database from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import { InputError, PrivrouteError } from '../core/errors.js';

/** First host number handed to clients (1 is the gateway). */
export const FIRST_CLIENT_HOST = 2;
/** Host number of the gateway. */
export const GATEWAY_HOST = 1;

/** A parsed client address space. */
export interface AddressSpace {
  cidr4: string;
  prefix4: number;
  /** Network address as an unsigned 32-bit integer. */
  base4: number;
  /** Addresses in the IPv4 subnet (2^(32-prefix)). */
  size4: number;
  cidr6: string | null;
  prefix6: number | null;
  base6: bigint | null;
  /** Highest host number a client may get. */
  lastHost: number;
  /** How many clients fit. */
  capacity: number;
}

const CFG = 'plugins.privacy_router.wireguard';

/**
 * Parse and check the subnets (pure). Throws InputError naming the config key when
 * a subnet is malformed or too small for a gateway plus one client (/30 at most).
 */
export function addressSpace(cidr4: string, cidr6: string | null = null): AddressSpace {
  if (!ipaddr.IPv4.isValidCIDR(cidr4)) throw new InputError({ path: `${CFG}.subnet`, value: cidr4, expected: 'an IPv4 CIDR such as 10.8.0.0/24' });
  const [a4, p4] = ipaddr.IPv4.parseCIDR(cidr4);
  if (p4 > 30) throw new InputError({ path: `${CFG}.subnet`, value: cidr4, expected: 'a /30 or larger subnet (gateway + at least one client)' });
  const size4 = 2 ** (32 - p4);
  const raw = a4.toByteArray().reduce((x, b) => x * 256 + b, 0);
  const base4 = raw - (raw % size4);
  let lastHost = size4 - 2;
  let base6: bigint | null = null;
  let p6: number | null = null;
  if (cidr6 !== null) {
    if (!ipaddr.IPv6.isValidCIDR(cidr6)) throw new InputError({ path: `${CFG}.subnet6`, value: cidr6, expected: 'an IPv6 CIDR such as fd00:8::/64' });
    const [a6, len6] = ipaddr.IPv6.parseCIDR(cidr6);
    if (len6 > 126) throw new InputError({ path: `${CFG}.subnet6`, value: cidr6, expected: 'a /126 or larger subnet' });
    p6 = len6;
    const bits = BigInt(128 - len6);
    const n = a6.toByteArray().reduce((x, b) => (x << 8n) | BigInt(b), 0n);
    base6 = (n >> bits) << bits;
    // The v6 subnet bounds the shared host number too (rarely: v6 subnets are large).
    const last6 = (1n << bits) - 1n;
    if (last6 < BigInt(lastHost)) lastHost = Number(last6);
  }
  return { cidr4, prefix4: p4, base4, size4, cidr6, prefix6: p6, base6, lastHost, capacity: lastHost - FIRST_CLIENT_HOST + 1 };
}

/** IPv4 address of host `n` (no prefix). */
export function host4(s: AddressSpace, n: number): string {
  const v = s.base4 + n;
  return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join('.');
}

/** IPv6 address of host `n` (no prefix), or null without subnet6. */
export function host6(s: AddressSpace, n: number): string | null {
  if (s.base6 === null) return null;
  let v = s.base6 + BigInt(n);
  const bytes: number[] = new Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** The gateway's tunnel addresses with prefixes, e.g. `10.8.0.1/24` (+ v6). */
export function gatewayAddresses(s: AddressSpace): { cidr4: string; cidr6: string | null; ip4: string; ip6: string | null } {
  const ip4 = host4(s, GATEWAY_HOST);
  const ip6 = host6(s, GATEWAY_HOST);
  return { ip4, ip6, cidr4: `${ip4}/${s.prefix4}`, cidr6: ip6 === null ? null : `${ip6}/${s.prefix6}` };
}

/** The subnet has no free address. Names the subnet and its size. Exit 1. */
export class IpamExhaustedError extends PrivrouteError {
  constructor(s: AddressSpace) {
    super(
      'E_IPAM_EXHAUSTED',
      `no free client address in ${s.cidr4}${s.cidr6 ? ` / ${s.cidr6}` : ''}: all ${s.capacity} client addresses are in use (subnet size ${s.size4}, minus network, broadcast and the gateway)`,
      { hint: `revoke unused clients (privroute list-clients), or widen ${CFG}.subnet (e.g. a /${Math.max(8, s.prefix4 - 2)}) — existing clients keep their addresses only if the new subnet contains them` },
    );
  }
}

/** A client's allocated addresses. */
export interface Allocation {
  host: number;
  address4: string;
  address6: string | null;
}

/**
 * Claim the lowest free host number: the smallest released one (`ipam_free`,
 * migration 3), else MAX(host_index)+1 — two b-tree edge lookups, independent of
 * the number of clients. Must run inside the caller's write transaction
 * (store.tx) together with the INSERT that uses it; it removes the number from
 * the free list. Throws IpamExhaustedError when the subnet is full.
 */
export function allocate(db: Database.Database, s: AddressSpace): Allocation {
  const first = FIRST_CLIENT_HOST;
  const minFree = db.prepare('SELECT MIN(host) AS h FROM ipam_free WHERE host >= ?');
  const used = db.prepare('SELECT 1 FROM clients WHERE host_index = ?');
  const drop = db.prepare('DELETE FROM ipam_free WHERE host = ?');
  let n: number | null = null;
  for (;;) {
    const f = (minFree.get(first) as { h: number | null }).h;
    if (f === null) break;
    drop.run(f);
    // Defensive: a free-list entry that is in use (a row inserted some other way) is dropped.
    if (used.get(f) === undefined) {
      n = f;
      break;
    }
  }
  if (n === null) {
    const max = (db.prepare('SELECT MAX(host_index) AS m FROM clients').get() as { m: number | null }).m;
    n = max === null || max < first ? first : max + 1;
  }
  if (n > s.lastHost) throw new IpamExhaustedError(s);
  return { host: n, address4: host4(s, n), address6: host6(s, n) };
}

/** Return a host number to the free list (revoke). Must run inside the caller's transaction. */
export function release(db: Database.Database, host: number | null): void {
  if (host !== null) db.prepare('INSERT OR IGNORE INTO ipam_free(host) VALUES(?)').run(host);
}
