/**
 * Render {@link Flow}s as ovs-ofctl flow text (`table=..,priority=..,cookie=..,match,actions=..`).
 * Used for error messages, `privroute flows` output, test fixtures and the
 * benchmark's ovs-ofctl peer file. Pure. Port names render as-is (ovs-ofctl
 * resolves them with --names); numbers above OFPP_MAX render as reserved names.
 */
import type { Flow, FlowAction, FlowMatch, Masked, PortRef } from './flow.js';
import { CT_STATE } from './flow.js';
import { RESERVED_PORT_NAMES } from './openflow/consts.js';

const hex = (n: number | bigint): string => '0x' + n.toString(16);
const masked = (m: Masked<number>): string => (m.mask === undefined ? hex(m.value) : `${hex(m.value)}/${hex(m.mask)}`);

function port(p: PortRef): string {
  if (typeof p === 'string') return p;
  for (const [name, n] of Object.entries(RESERVED_PORT_NAMES)) if (n === p) return name;
  return String(p);
}

const FRAG: Record<string, string> = { '0/1': 'no', '1/1': 'yes', '1/3': 'first', '3/3': 'later', '0/2': 'not_later', '1/undefined': 'yes', '3/undefined': 'later' };

function ctState(s: Masked<number>): string {
  const mask = s.mask ?? 0xffffffff;
  let out = '';
  for (const [name, bit] of Object.entries(CT_STATE)) {
    if (!(mask & bit)) continue;
    out += (s.value & bit ? '+' : '-') + name;
  }
  return out || '0/0';
}

/** The match part, comma-separated, in a stable order. */
export function renderMatch(m: FlowMatch): string {
  const p: string[] = [];
  if (m.in_port !== undefined) p.push(`in_port=${port(m.in_port)}`);
  if (m.eth_src !== undefined) p.push(`eth_src=${m.eth_src}`);
  if (m.eth_dst !== undefined) p.push(`eth_dst=${m.eth_dst}`);
  if (m.eth_type !== undefined) p.push(`eth_type=${hex(m.eth_type).replace(/^0x/, '0x' + '0'.repeat(Math.max(0, 4 - m.eth_type.toString(16).length)))}`);
  if (m.ip_proto !== undefined) p.push(`ip_proto=${m.ip_proto}`);
  if (m.ipv4_src !== undefined) p.push(`nw_src=${m.ipv4_src}`);
  if (m.ipv4_dst !== undefined) p.push(`nw_dst=${m.ipv4_dst}`);
  if (m.ipv6_src !== undefined) p.push(`ipv6_src=${m.ipv6_src}`);
  if (m.ipv6_dst !== undefined) p.push(`ipv6_dst=${m.ipv6_dst}`);
  if (m.ip_frag !== undefined) {
    const f = FRAG[`${m.ip_frag.value}/${m.ip_frag.mask}`];
    if (!f) throw new Error(`ip_frag ${masked(m.ip_frag)} has no ovs-ofctl name`);
    p.push(`ip_frag=${f}`);
  }
  if (m.nw_ttl !== undefined) p.push(`nw_ttl=${m.nw_ttl}`);
  if (m.tcp_src !== undefined) p.push(`tcp_src=${m.tcp_src}`);
  if (m.tcp_dst !== undefined) p.push(`tcp_dst=${m.tcp_dst}`);
  if (m.tcp_flags !== undefined) p.push(`tcp_flags=${masked(m.tcp_flags)}`);
  if (m.udp_src !== undefined) p.push(`udp_src=${m.udp_src}`);
  if (m.udp_dst !== undefined) p.push(`udp_dst=${m.udp_dst}`);
  if (m.icmpv4_type !== undefined) p.push(`icmp_type=${m.icmpv4_type}`);
  if (m.icmpv6_type !== undefined) p.push(`icmpv6_type=${m.icmpv6_type}`);
  if (m.arp_op !== undefined) p.push(`arp_op=${m.arp_op}`);
  if (m.arp_spa !== undefined) p.push(`arp_spa=${m.arp_spa}`);
  if (m.arp_sha !== undefined) p.push(`arp_sha=${m.arp_sha}`);
  if (m.regs) for (const k of Object.keys(m.regs).map(Number).sort((a, b) => a - b)) p.push(`reg${k}=${masked(m.regs[k]!)}`);
  if (m.ct_state !== undefined) p.push(`ct_state=${ctState(m.ct_state)}`);
  if (m.ct_zone !== undefined) p.push(`ct_zone=${m.ct_zone}`);
  if (m.ct_mark !== undefined) p.push(`ct_mark=${masked(m.ct_mark)}`);
  if (m.metadata !== undefined) p.push(`metadata=${m.metadata.mask === undefined ? hex(m.metadata.value) : `${hex(m.metadata.value)}/${hex(m.metadata.mask)}`}`);
  return p.join(',');
}

const SF_NAME: Record<string, string> = { ipv4_src: 'ip_src', ipv4_dst: 'ip_dst' };

/** One action in ovs-ofctl syntax. */
export function renderAction(a: FlowAction): string {
  switch (a.type) {
    case 'output': return `output:${port(a.port)}`;
    case 'in_port': return 'in_port';
    case 'set_field': return `set_field:${a.value}->${SF_NAME[a.field] ?? a.field}`;
    case 'dec_ttl': return 'dec_ttl';
    case 'set_nw_ttl': return `mod_nw_ttl:${a.ttl}`;
    case 'resubmit': return `resubmit(${a.port === undefined ? '' : port(a.port)},${a.table})`;
    case 'ct_clear': return 'ct_clear';
    case 'controller': return a.maxLen === undefined ? 'controller' : `controller(max_len=${a.maxLen})`;
    case 'ct': {
      const args: string[] = [];
      if (a.commit) args.push('commit');
      if (a.zone !== undefined) args.push(`zone=${a.zone}`);
      if (a.table !== undefined) args.push(`table=${a.table}`);
      if (a.nat) args.push(a.nat.kind === 'restore' ? 'nat' : a.nat.addr ? `nat(${a.nat.kind}=${a.nat.addr})` : `nat(${a.nat.kind})`);
      return args.length ? `ct(${args.join(',')})` : 'ct';
    }
  }
}

/** The actions part (without `actions=`): meter, apply actions, goto_table; `drop` if empty. */
export function renderActions(f: Pick<Flow, 'actions' | 'meter' | 'gotoTable'>): string {
  const p: string[] = [];
  if (f.meter !== undefined) p.push(`meter:${f.meter}`);
  for (const a of f.actions) p.push(renderAction(a));
  if (f.gotoTable !== undefined) p.push(`goto_table:${f.gotoTable}`);
  return p.length ? p.join(',') : 'drop';
}

/** A whole flow as one ovs-ofctl line (add-flows / replace-flows file syntax). */
export function renderFlow(f: Flow): string {
  const head = [`table=${f.table}`, `priority=${f.priority}`, `cookie=${hex(f.cookie)}`];
  if (f.idleTimeout) head.push(`idle_timeout=${f.idleTimeout}`);
  if (f.hardTimeout) head.push(`hard_timeout=${f.hardTimeout}`);
  const m = renderMatch(f.match);
  return `${head.join(',')}${m ? ',' + m : ''},actions=${renderActions(f)}`;
}
