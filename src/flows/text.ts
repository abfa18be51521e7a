/**
 * Canonical ovs-ofctl-like text of flows. One function decides how a match and
 * its actions are spelled, so that:
 * - golden tests compare stable text,
 * - `privroute flows` prints what an operator already reads in `ovs-ofctl dump-flows`,
 * - reconcile keys flows by (table, priority, canonical match) and compares
 *   canonical actions, independent of how a decoder represented masks (absent vs
 *   all-ones, `/32` vs none, MAC case, number vs string).
 *
 * With ports resolved to numbers, {@link ofctlSpec} is accepted by
 * `ovs-ofctl add-flows` (used by the bench as the peer; never by the product).
 */
import ipaddr from 'ipaddr.js';
import type { Flow, FlowAction, FlowMatch, Masked } from '../ovs/flow.js';
import { CT_STATE } from '../ovs/flow.js';
import { cookieHex } from './cookie.js';

const TCP_FLAG_NAMES: readonly [string, number][] = [
  ['fin', 0x1], ['syn', 0x2], ['rst', 0x4], ['psh', 0x8], ['ack', 0x10], ['urg', 0x20], ['ece', 0x40], ['cwr', 0x80], ['ns', 0x100],
];
const CT_ORDER: readonly (keyof typeof CT_STATE)[] = ['new', 'est', 'rel', 'rpl', 'inv', 'trk', 'snat', 'dnat'];
const IP_FRAG: Record<string, string> = { '1/1': 'yes', '0/1': 'no', '1/3': 'first', '3/3': 'later', '0/2': 'not_later' };

function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** Lower-case MAC, `mac/mask` kept only when the mask is not all ones. */
export function canonMac(v: string): string {
  // Fast path (the common case on a 10k-flow dump): an already canonical plain MAC.
  if (v.length === 17 && !/[A-F]/.test(v)) return v;
  const [mac, mask] = v.toLowerCase().split('/');
  return mask && mask !== 'ff:ff:ff:ff:ff:ff' ? `${mac}/${mask}` : mac!;
}

// An already canonical dotted-quad IPv4 (no leading zeros), optionally with a numeric prefix.
const DOTTED = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\/(?:3[0-2]|[12]?\d))?$/;

/** Canonical IPv4/IPv6 address or prefix; a full-length prefix is written as a plain address. Pure; throws on an unparsable address. */
export function canonIp(v: string): string {
  // Fast path: canonical dotted-quad IPv4, optionally with a numeric prefix.
  const fast = DOTTED.exec(v);
  if (fast) return fast[1] === '/32' ? v.slice(0, -3) : v;
  if (!v.includes('/')) return ipaddr.parse(v).toString();
  const [a, m] = v.split('/') as [string, string];
  const addr = ipaddr.parse(a);
  const len = /^\d+$/.test(m) ? Number(m) : ipaddr.parse(m).prefixLengthFromSubnetMask() ?? -1;
  const full = addr.kind() === 'ipv4' ? 32 : 128;
  return len === full ? addr.toString() : `${addr.toString()}/${len}`;
}

function masked(name: string, m: Masked<number>, width: number): string {
  const full = width >= 32 ? 0xffffffff : (1 << width) - 1;
  const mask = m.mask === undefined ? full : m.mask >>> 0;
  return mask === full ? `${name}=${m.value >>> 0}` : `${name}=${hex(m.value >>> 0)}/${hex(mask)}`;
}

function tcpFlags(m: Masked<number>): string {
  const mask = m.mask ?? 0xfff;
  if ((mask & ~0x1ff) !== 0) return `tcp_flags=${hex(m.value)}/${hex(mask)}`;
  return 'tcp_flags=' + TCP_FLAG_NAMES.filter(([, b]) => mask & b).map(([n, b]) => (m.value & b ? '+' : '-') + n).join('');
}

function ctState(m: Masked<number>): string {
  const mask = m.mask ?? 0xff;
  return 'ct_state=' + CT_ORDER.filter((k) => mask & CT_STATE[k]).map((k) => (m.value & CT_STATE[k] ? '+' : '-') + k).join('');
}

/** Protocol shorthand (`tcp`, `ip,nw_proto=50`, `arp`, `dl_type=0x88cc`) or '' . */
function protocol(m: FlowMatch): string {
  const v6 = m.eth_type === 0x86dd;
  if (m.eth_type === 0x0800 || v6) {
    switch (m.ip_proto) {
      case undefined:
        return v6 ? 'ipv6' : 'ip';
      case 6:
        return v6 ? 'tcp6' : 'tcp';
      case 17:
        return v6 ? 'udp6' : 'udp';
      case 1:
        return v6 ? 'ipv6,nw_proto=1' : 'icmp';
      case 58:
        return v6 ? 'icmp6' : 'ip,nw_proto=58';
      default:
        return `${v6 ? 'ipv6' : 'ip'},nw_proto=${m.ip_proto}`;
    }
  }
  if (m.eth_type === 0x0806) return 'arp';
  let out = m.eth_type !== undefined ? `dl_type=0x${m.eth_type.toString(16).padStart(4, '0')}` : '';
  if (m.ip_proto !== undefined) out += `${out ? ',' : ''}nw_proto=${m.ip_proto}`;
  return out;
}

/**
 * Canonical match text (comma-separated ovs-ofctl fields in a fixed order); '' for
 * match-all. Built by plain concatenation: it runs for every installed flow on each
 * reconcile (10k+), so it avoids intermediate arrays.
 */
export function matchText(m: FlowMatch): string {
  // Every field is appended as ",x"; the leading comma is cut at the end (no closures:
  // this runs for every installed flow on each reconcile).
  let s = '';
  if (m.in_port !== undefined) s += ',' + `in_port=${m.in_port}`;
  // Integer-like keys enumerate in ascending order, so regs come out sorted.
  if (m.regs) for (const k in m.regs) s += ',' + masked(`reg${k}`, m.regs[k as unknown as number]!, 32);
  if (m.metadata) {
    const mask = m.metadata.mask ?? 0xffffffffffffffffn;
    s += ',' + (mask === 0xffffffffffffffffn ? `metadata=${hex(m.metadata.value)}` : `metadata=${hex(m.metadata.value)}/${hex(mask)}`);
  }
  if (m.ct_state) s += ',' + ctState(m.ct_state);
  if (m.ct_zone !== undefined) s += ',' + `ct_zone=${m.ct_zone}`;
  if (m.ct_mark) s += ',' + masked('ct_mark', m.ct_mark, 32);
  const proto = protocol(m);
  if (proto) s += ',' + proto;
  if (m.eth_src !== undefined) s += ',' + `dl_src=${canonMac(m.eth_src)}`;
  if (m.eth_dst !== undefined) s += ',' + `dl_dst=${canonMac(m.eth_dst)}`;
  if (m.arp_op !== undefined) s += ',' + `arp_op=${m.arp_op}`;
  if (m.arp_spa !== undefined) s += ',' + `arp_spa=${canonIp(m.arp_spa)}`;
  if (m.arp_sha !== undefined) s += ',' + `arp_sha=${canonMac(m.arp_sha)}`;
  if (m.ipv4_src !== undefined) s += ',' + `nw_src=${canonIp(m.ipv4_src)}`;
  if (m.ipv4_dst !== undefined) s += ',' + `nw_dst=${canonIp(m.ipv4_dst)}`;
  if (m.ipv6_src !== undefined) s += ',' + `ipv6_src=${canonIp(m.ipv6_src)}`;
  if (m.ipv6_dst !== undefined) s += ',' + `ipv6_dst=${canonIp(m.ipv6_dst)}`;
  if (m.nw_ttl !== undefined) s += ',' + `nw_ttl=${m.nw_ttl}`;
  if (m.ip_frag) {
    const key = `${m.ip_frag.value}/${m.ip_frag.mask ?? 3}`;
    s += ',' + `ip_frag=${IP_FRAG[key] ?? key}`;
  }
  if (m.tcp_src !== undefined) s += ',' + `tcp_src=${m.tcp_src}`;
  if (m.tcp_dst !== undefined) s += ',' + `tcp_dst=${m.tcp_dst}`;
  if (m.udp_src !== undefined) s += ',' + `udp_src=${m.udp_src}`;
  if (m.udp_dst !== undefined) s += ',' + `udp_dst=${m.udp_dst}`;
  if (m.tcp_flags) s += ',' + tcpFlags(m.tcp_flags);
  if (m.icmpv4_type !== undefined) s += ',' + `icmp_type=${m.icmpv4_type}`;
  if (m.icmpv6_type !== undefined) s += ',' + `icmpv6_type=${m.icmpv6_type}`;
  return s.slice(1);
}

function setFieldValue(field: string, v: string | number): string {
  if (typeof v === 'number') return String(v);
  if (field === 'eth_src' || field === 'eth_dst') return canonMac(v);
  if (field === 'ipv4_src' || field === 'ipv4_dst') return canonIp(v);
  return /^0x/i.test(v) ? String(Number(v)) : v;
}

/** Text of one apply-action. */
export function actionText(a: FlowAction): string {
  switch (a.type) {
    case 'output':
      return `output:${a.port}`;
    case 'in_port':
      return 'in_port';
    case 'set_field':
      return `set_field:${setFieldValue(a.field, a.value)}->${a.field}`;
    case 'dec_ttl':
      return 'dec_ttl';
    case 'set_nw_ttl':
      return `mod_nw_ttl:${a.ttl}`;
    case 'resubmit':
      return `resubmit(${a.port ?? ''},${a.table})`;
    case 'ct': {
      const parts: string[] = [];
      if (a.commit) parts.push('commit');
      if (a.zone !== undefined) parts.push(`zone=${a.zone}`);
      if (a.table !== undefined) parts.push(`table=${a.table}`);
      if (a.nat) parts.push(a.nat.kind === 'restore' ? 'nat' : `nat(${a.nat.kind}${a.nat.addr ? '=' + a.nat.addr : ''})`);
      return `ct(${parts.join(',')})`;
    }
    case 'ct_clear':
      return 'ct_clear';
    case 'controller':
      return a.maxLen === undefined ? 'controller' : `controller(max_len=${a.maxLen})`;
  }
}

/** Canonical actions text: `meter:N,` then apply-actions, then `goto_table:N`; `drop` when there is nothing. */
export function actionsText(fl: Pick<Flow, 'actions' | 'meter' | 'gotoTable'>): string {
  let s = fl.meter !== undefined ? `meter:${fl.meter}` : '';
  for (const a of fl.actions) s = s ? s + ',' + actionText(a) : actionText(a);
  if (fl.gotoTable !== undefined) s = s ? `${s},goto_table:${fl.gotoTable}` : `goto_table:${fl.gotoTable}`;
  return s || 'drop';
}

/** Human/golden text: `table=30, priority=100, cookie=0x..., in_port=...,... actions=...`. */
export function flowText(fl: Flow, opts: { cookie?: boolean } = {}): string {
  const head = [`table=${fl.table}`, `priority=${fl.priority}`];
  if (opts.cookie !== false) head.push(`cookie=${cookieHex(fl.cookie)}`);
  const m = matchText(fl.match);
  const timeouts = [fl.idleTimeout ? `idle_timeout=${fl.idleTimeout}` : '', fl.hardTimeout ? `hard_timeout=${fl.hardTimeout}` : ''].filter(Boolean);
  return [...head, ...timeouts, ...(m ? [m] : [])].join(', ') + ` actions=${actionsText(fl)}`;
}

/** `ovs-ofctl add-flows` line (ports must already be numbers for ovs-ofctl to accept them). */
export function ofctlSpec(fl: Flow): string {
  const m = matchText(fl.match);
  return `table=${fl.table},priority=${fl.priority},cookie=${cookieHex(fl.cookie)}${m ? ',' + m : ''},actions=${actionsText(fl)}`;
}

/** Reconcile key: (table, priority, canonical match). */
export function flowKey(fl: Pick<Flow, 'table' | 'priority' | 'match'>): string {
  return `${fl.table}/${fl.priority}/${matchText(fl.match)}`;
}
