/**
 * Parse the seed's `match_fields` objects (ovs-ofctl field names, string or number
 * values, e.g. `{"in_port": "internal_100"}`, `{"tcp_dst": "8080"}`) into a
 * FlowMatch. Pure; every problem is reported with its config path, nothing throws.
 * Prerequisites are filled in (tcp_dst ⇒ ip,tcp) so the match is valid OpenFlow.
 */
import ipaddr from 'ipaddr.js';
import type { InputProblem } from '../core/errors.js';
import type { FlowMatch } from '../ovs/flow.js';
import type { Topology } from '../topology/addressing.js';
import { portByName } from '../topology/addressing.js';

type Kind = 'port' | 'mac' | 'u16' | 'u8' | 'ip4' | 'ip6';
const FIELDS: Record<string, { key: keyof FlowMatch; kind: Kind }> = {
  in_port: { key: 'in_port', kind: 'port' },
  dl_src: { key: 'eth_src', kind: 'mac' },
  eth_src: { key: 'eth_src', kind: 'mac' },
  dl_dst: { key: 'eth_dst', kind: 'mac' },
  eth_dst: { key: 'eth_dst', kind: 'mac' },
  dl_type: { key: 'eth_type', kind: 'u16' },
  eth_type: { key: 'eth_type', kind: 'u16' },
  nw_proto: { key: 'ip_proto', kind: 'u8' },
  ip_proto: { key: 'ip_proto', kind: 'u8' },
  nw_src: { key: 'ipv4_src', kind: 'ip4' },
  ip_src: { key: 'ipv4_src', kind: 'ip4' },
  ipv4_src: { key: 'ipv4_src', kind: 'ip4' },
  nw_dst: { key: 'ipv4_dst', kind: 'ip4' },
  ip_dst: { key: 'ipv4_dst', kind: 'ip4' },
  ipv4_dst: { key: 'ipv4_dst', kind: 'ip4' },
  ipv6_src: { key: 'ipv6_src', kind: 'ip6' },
  ipv6_dst: { key: 'ipv6_dst', kind: 'ip6' },
  tcp_src: { key: 'tcp_src', kind: 'u16' },
  tcp_dst: { key: 'tcp_dst', kind: 'u16' },
  udp_src: { key: 'udp_src', kind: 'u16' },
  udp_dst: { key: 'udp_dst', kind: 'u16' },
  icmp_type: { key: 'icmpv4_type', kind: 'u8' },
  nw_ttl: { key: 'nw_ttl', kind: 'u8' },
};

/** The match field names privacy_flows accept (for error messages and docs). */
export const KNOWN_MATCH_FIELDS: readonly string[] = Object.keys(FIELDS);

function num(v: string | number, max: number): number | null {
  const n = typeof v === 'number' ? v : /^0x[0-9a-f]+$/i.test(v.trim()) ? parseInt(v, 16) : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : null;
}

function cidr(v: string, kind: 'ipv4' | 'ipv6'): boolean {
  try {
    if (v.includes('/')) return ipaddr.parseCIDR(v)[0].kind() === kind;
    return ipaddr.parse(v).kind() === kind && (kind === 'ipv6' || ipaddr.IPv4.isValidFourPartDecimal(v));
  } catch {
    return false;
  }
}

/**
 * Parse `fields` (at config path `path`) into a FlowMatch. Ports must exist in
 * `topo`. Problems are appended to `problems`; the returned match is only
 * meaningful when no problem was added.
 */
export function parseMatchFields(fields: Readonly<Record<string, string | number>>, path: string, topo: Topology, problems: InputProblem[]): FlowMatch {
  const m: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(fields)) {
    const at = `${path}.${name}`;
    const spec = FIELDS[name];
    if (!spec) {
      problems.push({ path: at, value: raw, expected: `a known match field (one of ${KNOWN_MATCH_FIELDS.join(', ')})` });
      continue;
    }
    const s = String(raw).trim();
    switch (spec.kind) {
      case 'port':
        if (!portByName(topo, s)) problems.push({ path: at, value: raw, expected: `a port on the bridge (${topo.ports.map((p) => p.name).join(', ')})` });
        else m[spec.key] = s;
        break;
      case 'mac':
        if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(s)) problems.push({ path: at, value: raw, expected: 'a MAC address like 02:00:00:00:00:01' });
        else m[spec.key] = s.toLowerCase();
        break;
      case 'u8':
      case 'u16': {
        const n = num(raw, spec.kind === 'u8' ? 0xff : 0xffff);
        if (n === null) problems.push({ path: at, value: raw, expected: `an integer 0..${spec.kind === 'u8' ? 255 : 65535}` });
        else m[spec.key] = n;
        break;
      }
      case 'ip4':
      case 'ip6':
        if (!cidr(s, spec.kind === 'ip4' ? 'ipv4' : 'ipv6')) problems.push({ path: at, value: raw, expected: `an ${spec.kind === 'ip4' ? 'IPv4' : 'IPv6'} address or CIDR` });
        else m[spec.key] = s;
        break;
    }
  }
  return withPrerequisites(m as FlowMatch, path, problems);
}

/** Fill eth_type/ip_proto implied by L3/L4 fields; report contradictions. */
function withPrerequisites(m: FlowMatch, path: string, problems: InputProblem[]): FlowMatch {
  const out: FlowMatch = { ...m };
  const l4: [keyof FlowMatch, number][] = [['tcp_src', 6], ['tcp_dst', 6], ['udp_src', 17], ['udp_dst', 17], ['icmpv4_type', 1]];
  for (const [k, proto] of l4) {
    if (out[k] === undefined) continue;
    if (out.ip_proto !== undefined && out.ip_proto !== proto) {
      problems.push({ path: `${path}.${k}`, value: out[k], expected: `no ${k} together with nw_proto ${out.ip_proto} (it needs protocol ${proto})` });
    }
    out.ip_proto = proto;
  }
  const v6 = out.ipv6_src !== undefined || out.ipv6_dst !== undefined;
  const v4 = out.ipv4_src !== undefined || out.ipv4_dst !== undefined || out.icmpv4_type !== undefined;
  if (v4 && v6) problems.push({ path, value: undefined, expected: 'IPv4 and IPv6 fields not mixed in one match' });
  const needIp = out.ip_proto !== undefined || v4 || v6 || out.nw_ttl !== undefined;
  if (needIp) {
    const want = v6 ? 0x86dd : out.eth_type === 0x86dd ? 0x86dd : 0x0800;
    if (out.eth_type !== undefined && out.eth_type !== want) problems.push({ path: `${path}.dl_type`, value: out.eth_type, expected: `dl_type ${want === 0x0800 ? '0x0800' : '0x86dd'} for the IP fields given` });
    out.eth_type = want;
  }
  return out;
}
