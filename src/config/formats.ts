/**
 * Value checks shared by the schema (per key) and the semantic checks (across
 * keys). Each `check*` returns null when the value is fine, or the "expected ..."
 * text of an InputProblem when it is not. Pure; no I/O.
 */
import ipaddr from 'ipaddr.js';
import { validate as cronValid } from 'node-cron';

/** Linux interface names: at most 15 bytes (IFNAMSIZ-1), a safe character set. */
export const IFNAME_RE = /^[a-zA-Z0-9_.-]{1,15}$/;

/** Expected-text for an interface name. */
export const IFNAME_EXPECTED = 'expected an interface name of 1-15 characters from [a-zA-Z0-9_.-]';

/** An interface / OVS port name. */
export function checkIfname(v: unknown): string | null {
  return typeof v === 'string' && IFNAME_RE.test(v) && v !== '.' && v !== '..' ? null : IFNAME_EXPECTED;
}

/** A TCP/UDP port number 1..65535 (number, not string). */
export function checkPort(v: unknown): string | null {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? null : 'expected a port number 1..65535';
}

/** An integer in [min, max]. */
export function checkIntRange(v: unknown, min: number, max: number): string | null {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `expected an integer ${min}..${max}`;
}

/** An IPv4 or IPv6 address (no prefix). */
export function checkIp(v: unknown): string | null {
  return typeof v === 'string' && ipaddr.isValid(v) && (ipaddr.IPv4.isValidFourPartDecimal(v) || v.includes(':'))
    ? null
    : 'expected an IPv4 or IPv6 address such as 1.1.1.1';
}

/**
 * An address with an optional prefix length (`172.16.0.2`, `172.16.0.2/32`,
 * `fd01::2/128`, `0.0.0.0/0`): a WireGuard Address or AllowedIPs entry. Any valid
 * length, host bits allowed; IPv4 only in dotted-quad form (ipaddr.js would also
 * take `0x7f.1`).
 */
export function checkAddressPrefix(v: unknown): string | null {
  const bad = 'expected an IP address with an optional /prefix, e.g. 172.16.0.2/32 or fd01::2/128';
  if (typeof v !== 'string') return bad;
  const [addr, len, ...rest] = v.split('/');
  if (rest.length > 0 || checkIp(addr) !== null) return bad;
  if (len === undefined) return null;
  const max = addr!.includes(':') ? 128 : 32;
  return /^\d{1,3}$/.test(len) && Number(len) <= max ? null : bad;
}

/** An IPv4 CIDR such as 10.77.0.0/24 (host bits must be zero). */
export function checkCidr4(v: unknown): string | null {
  return checkCidr(v, 'ipv4') ? null : 'expected an IPv4 network in CIDR form with zero host bits, e.g. 10.77.0.0/24 (prefix 8..30)';
}

/** An IPv6 CIDR such as fd77::/64 (host bits must be zero). */
export function checkCidr6(v: unknown): string | null {
  return checkCidr(v, 'ipv6') ? null : 'expected an IPv6 network in CIDR form with zero host bits, e.g. fd77::/64 (prefix 16..126)';
}

function checkCidr(v: unknown, kind: 'ipv4' | 'ipv6'): boolean {
  if (typeof v !== 'string' || !v.includes('/')) return false;
  try {
    const [addr, len] = ipaddr.parseCIDR(v);
    if (addr.kind() !== kind) return false;
    if (kind === 'ipv4' ? len < 8 || len > 30 : len < 16 || len > 126) return false;
    if (kind === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(v.split('/')[0]!)) return false;
    // Host bits zero: the network address of the CIDR equals the address given.
    const net = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(v) : ipaddr.IPv6.networkAddressFromCIDR(v);
    return net.toString() === addr.toString();
  } catch {
    return false;
  }
}

/** True if two CIDRs of the same family share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [aa, al] = ipaddr.parseCIDR(a);
  const [ba, bl] = ipaddr.parseCIDR(b);
  if (aa.kind() !== ba.kind()) return false;
  // The shorter prefix contains the other's network address iff they overlap.
  return al <= bl ? ba.match(aa, al) : aa.match(ba, bl);
}

/** `host:port` or `[v6]:port`, port 1..65535. Returns the parts or null. */
export function parseHostPort(v: unknown): { host: string; port: number } | null {
  if (typeof v !== 'string') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([a-zA-Z0-9.-]+)):(\d{1,5})$/.exec(v);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && !ipaddr.IPv6.isValid(host)) return null;
  // All-numeric: it is meant as an IPv4 address, so it must be a valid one (not 300.1.1.1).
  if (/^[0-9.]+$/.test(host) && !ipaddr.IPv4.isValidFourPartDecimal(host)) return null;
  return { host, port };
}

/** `host:port` check. */
export function checkHostPort(v: unknown): string | null {
  return parseHostPort(v) ? null : 'expected host:port (IPv6 as [addr]:port), port 1..65535';
}

/** A DNS host name or an IP address. */
export function checkHost(v: unknown): string | null {
  if (typeof v !== 'string') return 'expected a host name or IP address';
  if (ipaddr.isValid(v)) return null;
  return /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(v)
    ? null
    : 'expected a host name or IP address';
}

/** An https:// URL (a secret-bearing API: never plain http). */
export function checkHttpsUrl(v: unknown): string | null {
  if (typeof v !== 'string') return 'expected an https:// URL';
  try {
    return new URL(v).protocol === 'https:' ? null : 'expected an https:// URL (the API carries the account token: plain http is refused)';
  } catch {
    return 'expected an https:// URL';
  }
}

/** A 5-field cron expression node-cron accepts. */
export function checkCron(v: unknown): string | null {
  return typeof v === 'string' && cronValid(v) ? null : 'expected a cron expression such as "*/5 * * * *" (minute hour day month weekday)';
}

/** An absolute file path (no NUL, no newline). */
export function checkAbsPath(v: unknown): string | null {
  return typeof v === 'string' && v.startsWith('/') && !/[\0\n]/.test(v) ? null : 'expected an absolute file path';
}

/** An https:// (or http:// for loopback stand-ins) URL. */
export function checkUrl(v: unknown): string | null {
  if (typeof v !== 'string') return 'expected an https:// URL';
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? null : 'expected an https:// URL';
  } catch {
    return 'expected an https:// URL';
  }
}

/** An SSH host key fingerprint as `ssh-keygen -lf` prints: SHA256:<43 base64 chars>. */
export function checkFingerprint(v: unknown): string | null {
  return typeof v === 'string' && /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(v)
    ? null
    : 'expected a host key fingerprint "SHA256:<base64>" as printed by ssh-keygen -lf';
}
