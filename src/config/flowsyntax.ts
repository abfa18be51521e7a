/**
 * Syntax of the seed's `privacy_flows` / `function_routing` match fields and
 * actions, checked against the flow model in src/ovs/flow.ts. Field names are
 * the ovs-fields(7) names that model supports, plus the ovs-ofctl aliases users
 * copy from `ovs-ofctl dump-flows` (nw_src, tp_dst, dl_src, ...) and protocol
 * shorthands (tcp, udp, ip, arp, icmp, ...). Pure.
 */
import ipaddr from 'ipaddr.js';

type Kind = 'port' | 'mac' | 'ipv4' | 'ipv6' | 'l4port' | 'uint' | 'any' | 'shorthand';

/** Canonical fields of FlowMatch (src/ovs/flow.ts) and how their values look. */
const CANONICAL: Readonly<Record<string, Kind>> = {
  in_port: 'port', eth_src: 'mac', eth_dst: 'mac', eth_type: 'uint', ip_proto: 'uint',
  ipv4_src: 'ipv4', ipv4_dst: 'ipv4', ipv6_src: 'ipv6', ipv6_dst: 'ipv6',
  tcp_src: 'l4port', tcp_dst: 'l4port', udp_src: 'l4port', udp_dst: 'l4port',
  tcp_flags: 'any', icmpv4_type: 'uint', icmpv6_type: 'uint', arp_op: 'uint', arp_spa: 'ipv4', arp_sha: 'mac',
  ip_frag: 'any', nw_ttl: 'uint', ct_state: 'any', ct_zone: 'uint', ct_mark: 'any', metadata: 'any',
  ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`reg${i}`, 'any' as Kind])),
};

/** ovs-ofctl aliases → canonical names. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  dl_src: 'eth_src', dl_dst: 'eth_dst', dl_type: 'eth_type', nw_proto: 'ip_proto',
  nw_src: 'ipv4_src', nw_dst: 'ipv4_dst', tp_src: 'tcp_src', tp_dst: 'tcp_dst',
  icmp_type: 'icmpv4_type', arp_tpa: 'ipv4_dst', nw_frag: 'ip_frag',
};

/** Protocol shorthands (ovs-ofctl `tcp`, `udp`, ...): the value is ignored (use "" or 1). */
export const PROTOCOL_SHORTHANDS = ['ip', 'ipv6', 'tcp', 'tcp6', 'udp', 'udp6', 'icmp', 'icmp6', 'arp', 'sctp'] as const;

/** Every accepted match field name. */
export const MATCH_FIELD_NAMES: readonly string[] = [...Object.keys(CANONICAL), ...Object.keys(FIELD_ALIASES), ...PROTOCOL_SHORTHANDS];

function kindOf(name: string): Kind | undefined {
  if ((PROTOCOL_SHORTHANDS as readonly string[]).includes(name)) return 'shorthand';
  return CANONICAL[FIELD_ALIASES[name] ?? name];
}

const isUint = (v: string | number) => (typeof v === 'number' ? Number.isInteger(v) && v >= 0 : /^(0x[0-9a-fA-F]+|\d+)$/.test(v));

function checkIpPrefix(v: string | number, kind: 'ipv4' | 'ipv6'): boolean {
  if (typeof v !== 'string') return false;
  try {
    if (v.includes('/')) return ipaddr.parseCIDR(v)[0].kind() === kind;
    return ipaddr.parse(v).kind() === kind && (kind === 'ipv6' || ipaddr.IPv4.isValidFourPartDecimal(v));
  } catch {
    return false;
  }
}

/**
 * Check one match field. Returns null when fine, else the expected-text.
 * `knownPorts` are the names `in_port` may take.
 */
export function checkMatchField(name: string, value: string | number, knownPorts: ReadonlySet<string>): string | null {
  const kind = kindOf(name);
  if (!kind) return `unknown match field "${name}"; expected one of ${MATCH_FIELD_NAMES.join(', ')}`;
  switch (kind) {
    case 'port':
      return typeof value === 'string' && knownPorts.has(value) ? null : `expected a declared port: ${[...knownPorts].join(', ')}`;
    case 'mac':
      return typeof value === 'string' && /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}(\/([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})?$/.test(value) ? null : 'expected a MAC address aa:bb:cc:dd:ee:ff';
    case 'ipv4':
      return checkIpPrefix(value, 'ipv4') ? null : 'expected an IPv4 address or CIDR';
    case 'ipv6':
      return checkIpPrefix(value, 'ipv6') ? null : 'expected an IPv6 address or CIDR';
    case 'l4port': {
      const n = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      return Number.isInteger(n) && n >= 1 && n <= 65535 ? null : 'expected a port number 1..65535 (number or decimal string)';
    }
    case 'uint':
      return isUint(value) ? null : 'expected a non-negative integer (decimal or 0x hex)';
    default:
      return null;
  }
}

/** A parsed seed action. */
export type SeedAction = { type: 'output'; port: string } | { type: 'drop' } | { type: 'resubmit'; table: number };

/**
 * Parse one action string: `output:<known port>`, `drop`, or `resubmit(,N)`
 * (N 0..254). Anything else is refused: the seed format is deliberately narrow
 * so a config cannot open a path around the chain (e.g. `normal`, `flood`).
 */
export function parseSeedAction(s: string, knownPorts: ReadonlySet<string>): SeedAction | { problem: string } {
  if (s === 'drop') return { type: 'drop' };
  const out = /^output:(.+)$/.exec(s);
  if (out) {
    return knownPorts.has(out[1]!) ? { type: 'output', port: out[1]! } : { problem: `output to an undeclared port; expected one of ${[...knownPorts].join(', ')}` };
  }
  const rs = /^resubmit\(,(\d{1,3})\)$/.exec(s);
  if (rs && Number(rs[1]) <= 254) return { type: 'resubmit', table: Number(rs[1]) };
  return { problem: 'expected "output:<port>", "drop" or "resubmit(,<table 0..254>)"' };
}

/** The L4 protocol and port a function route matches, or a problem. */
export function functionRouteKey(match: Readonly<Record<string, string | number>>): { proto: 'tcp' | 'udp'; port: number } | { problem: string } {
  const keys = Object.keys(match);
  const l4 = keys.filter((k) => ['tcp_dst', 'udp_dst', 'tp_dst'].includes(k));
  if (l4.length !== 1 || keys.length !== 1) return { problem: 'expected exactly one of tcp_dst or udp_dst, e.g. {"tcp_dst": "8080"}' };
  const k = l4[0]!;
  const v = match[k]!;
  const n = typeof v === 'number' ? v : /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return { problem: 'expected a port number 1..65535 (number or decimal string)' };
  return { proto: k === 'udp_dst' ? 'udp' : 'tcp', port: n };
}
