/**
 * OXM match codec (ofp_match type OFPMT_OXM) for every field of {@link FlowMatch}.
 *
 * Classes: 0x8000 OpenFlow basic; 0x0001 NXM_1 (Nicira: registers, ip_frag,
 * nw_ttl, conntrack); 0xffff experimenter with ONF id for tcp_flags (what OVS uses
 * on OF1.3/1.4: ONFOXM_ET_TCP_FLAGS). Field order on the wire follows Open vSwitch
 * (nx_put_raw) so encoded bytes equal what `ovs-ofctl -O OpenFlow13` sends; the
 * decoder accepts any order. Exact-valued fields (mask all ones) are sent unmasked
 * and an all-zero mask omits the field, both as OVS does.
 */
import type { FlowMatch, Masked } from '../flow.js';
import { DecodeError, Reader, Writer } from './buf.js';
import { EncodeError, formatMaskedIp, formatMaskedMac, isAllOnes, parseMaskedIp, parseMaskedMac } from './addr.js';
import { ONF_EXPERIMENTER_ID } from './consts.js';

export const OXM_BASIC = 0x8000;
export const NXM_0 = 0x0000;
export const NXM_1 = 0x0001;
export const OXM_EXPERIMENTER = 0xffff;

/** Basic-class field numbers. */
export const OFB = {
  IN_PORT: 0, METADATA: 2, ETH_DST: 3, ETH_SRC: 4, ETH_TYPE: 5, IP_PROTO: 10, IPV4_SRC: 11, IPV4_DST: 12,
  TCP_SRC: 13, TCP_DST: 14, UDP_SRC: 15, UDP_DST: 16, ICMPV4_TYPE: 19, ARP_OP: 21, ARP_SPA: 22, ARP_SHA: 24,
  IPV6_SRC: 26, IPV6_DST: 27, ICMPV6_TYPE: 29, TCP_FLAGS: 42,
} as const;
/** NXM_1 (Nicira extension) field numbers. */
export const NXM = {
  REG0: 0, IP_FRAG: 26, IP_TTL: 29, TCP_FLAGS: 34, CT_STATE: 105, CT_ZONE: 106, CT_MARK: 107,
} as const;
/** ONFOXM_ET_TCP_FLAGS: experimenter OXM used by OVS for tcp_flags on OF1.3. */
const ONF_TCP_FLAGS = 42;

function hdr(w: Writer, cls: number, field: number, hasMask: boolean, len: number): void {
  w.u16(cls);
  w.u8((field << 1) | (hasMask ? 1 : 0));
  w.u8(len);
}

function putUint(w: Writer, bytes: number, v: number): void {
  if (bytes === 1) w.u8(v);
  else if (bytes === 2) w.u16(v);
  else w.u32(v);
}

function checkUint(name: string, v: number, bytes: number): void {
  const max = bytes === 4 ? 0xffffffff : (1 << (bytes * 8)) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(`match ${name}: ${v} is not an unsigned ${bytes * 8}-bit integer`);
}

/** Encode a numeric field, exact or masked. */
function putNum(w: Writer, name: string, cls: number, field: number, bytes: number, m: number | Masked<number> | undefined): void {
  if (m === undefined) return;
  const { value, mask } = typeof m === 'number' ? { value: m, mask: undefined } : m;
  checkUint(name, value, bytes);
  const full = bytes === 4 ? 0xffffffff : (1 << (bytes * 8)) - 1;
  if (mask === undefined || mask === full) {
    hdr(w, cls, field, false, bytes);
    putUint(w, bytes, value);
    return;
  }
  checkUint(name, mask, bytes);
  if (mask === 0) return;
  hdr(w, cls, field, true, bytes * 2);
  putUint(w, bytes, (value & mask) >>> 0);
  putUint(w, bytes, mask);
}

function putBytes(w: Writer, cls: number, field: number, v: { value: Buffer; mask?: Buffer } | undefined): void {
  if (!v) return;
  if (v.mask) {
    hdr(w, cls, field, true, v.value.length * 2);
    w.bytes(v.value);
    w.bytes(v.mask);
  } else {
    hdr(w, cls, field, false, v.value.length);
    w.bytes(v.value);
  }
}

/** Encode the OXM TLVs of `m` (no ofp_match header). Ports must already be numbers. */
export function encodeOxms(w: Writer, m: FlowMatch): void {
  if (m.in_port !== undefined) {
    if (typeof m.in_port !== 'number') throw new EncodeError(`match in_port: port name ${JSON.stringify(m.in_port)} is not resolved to an OpenFlow port number`);
    putNum(w, 'in_port', OXM_BASIC, OFB.IN_PORT, 4, m.in_port);
  }
  if (m.eth_src !== undefined) putBytes(w, OXM_BASIC, OFB.ETH_SRC, parseMaskedMac(m.eth_src));
  if (m.eth_dst !== undefined) putBytes(w, OXM_BASIC, OFB.ETH_DST, parseMaskedMac(m.eth_dst));
  putNum(w, 'eth_type', OXM_BASIC, OFB.ETH_TYPE, 2, m.eth_type);
  // L3 (IP branch of nx_put_raw).
  if (m.ipv4_src !== undefined) putBytes(w, OXM_BASIC, OFB.IPV4_SRC, parseMaskedIp(m.ipv4_src, 4));
  if (m.ipv4_dst !== undefined) putBytes(w, OXM_BASIC, OFB.IPV4_DST, parseMaskedIp(m.ipv4_dst, 4));
  if (m.ipv6_src !== undefined) putBytes(w, OXM_BASIC, OFB.IPV6_SRC, parseMaskedIp(m.ipv6_src, 6));
  if (m.ipv6_dst !== undefined) putBytes(w, OXM_BASIC, OFB.IPV6_DST, parseMaskedIp(m.ipv6_dst, 6));
  if (m.ip_frag !== undefined) {
    // ip_frag is a 2-bit field: mask 3 is "exact" and OVS sends it unmasked.
    const { value, mask } = m.ip_frag;
    putNum(w, 'ip_frag', NXM_1, NXM.IP_FRAG, 1, mask === undefined || (mask & 3) === 3 ? { value } : { value, mask });
  }
  putNum(w, 'nw_ttl', NXM_1, NXM.IP_TTL, 1, m.nw_ttl);
  putNum(w, 'ip_proto', OXM_BASIC, OFB.IP_PROTO, 1, m.ip_proto);
  putNum(w, 'tcp_src', OXM_BASIC, OFB.TCP_SRC, 2, m.tcp_src);
  putNum(w, 'tcp_dst', OXM_BASIC, OFB.TCP_DST, 2, m.tcp_dst);
  if (m.tcp_flags !== undefined) putTcpFlags(w, m.tcp_flags);
  putNum(w, 'udp_src', OXM_BASIC, OFB.UDP_SRC, 2, m.udp_src);
  putNum(w, 'udp_dst', OXM_BASIC, OFB.UDP_DST, 2, m.udp_dst);
  putNum(w, 'icmpv4_type', OXM_BASIC, OFB.ICMPV4_TYPE, 1, m.icmpv4_type);
  putNum(w, 'icmpv6_type', OXM_BASIC, OFB.ICMPV6_TYPE, 1, m.icmpv6_type);
  // ARP branch.
  putNum(w, 'arp_op', OXM_BASIC, OFB.ARP_OP, 2, m.arp_op);
  if (m.arp_spa !== undefined) putBytes(w, OXM_BASIC, OFB.ARP_SPA, parseMaskedIp(m.arp_spa, 4));
  if (m.arp_sha !== undefined) putBytes(w, OXM_BASIC, OFB.ARP_SHA, parseMaskedMac(m.arp_sha));
  if (m.regs) {
    for (const k of Object.keys(m.regs).map(Number).sort((a, b) => a - b)) {
      if (!Number.isInteger(k) || k < 0 || k > 15) throw new EncodeError(`match reg${k}: registers are reg0..reg15`);
      putNum(w, `reg${k}`, NXM_1, NXM.REG0 + k, 4, m.regs[k]);
    }
  }
  putNum(w, 'ct_state', NXM_1, NXM.CT_STATE, 4, m.ct_state);
  putNum(w, 'ct_zone', NXM_1, NXM.CT_ZONE, 2, m.ct_zone);
  putNum(w, 'ct_mark', NXM_1, NXM.CT_MARK, 4, m.ct_mark);
  if (m.metadata !== undefined) {
    const { value, mask } = m.metadata;
    const full = 0xffffffffffffffffn;
    if (mask === undefined || mask === full) {
      hdr(w, OXM_BASIC, OFB.METADATA, false, 8);
      w.u64(value);
    } else if (mask !== 0n) {
      hdr(w, OXM_BASIC, OFB.METADATA, true, 16);
      w.u64(value & mask);
      w.u64(mask);
    }
  }
}

function putTcpFlags(w: Writer, f: Masked<number>): void {
  checkUint('tcp_flags', f.value, 2);
  const masked = f.mask !== undefined && f.mask !== 0xffff;
  if (masked && f.mask === 0) return;
  w.u16(OXM_EXPERIMENTER);
  w.u8((ONF_TCP_FLAGS << 1) | (masked ? 1 : 0));
  w.u8(masked ? 8 : 6);
  w.u32(ONF_EXPERIMENTER_ID);
  w.u16(masked ? f.value & f.mask! : f.value);
  if (masked) w.u16(f.mask!);
}

/** Encode a full ofp_match (type OXM, length, TLVs, padding to 8). */
export function encodeMatch(w: Writer, m: FlowMatch): void {
  const start = w.off;
  w.u16(1); // OFPMT_OXM
  w.u16(0); // length, patched
  encodeOxms(w, m);
  w.patch16(start + 2, w.off - start);
  w.pad8(start);
}

function uintAt(b: Buffer, o: number, bytes: number): number {
  return bytes === 1 ? b[o]! : bytes === 2 ? (b[o]! << 8) | b[o + 1]! : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Read a numeric TLV value (+mask) at `o`; an all-ones mask reads as exact. */
function maskedAt(b: Buffer, o: number, bytes: number, hasMask: boolean): Masked<number> {
  const value = uintAt(b, o, bytes);
  if (!hasMask) return { value };
  const mask = uintAt(b, o + bytes, bytes);
  const full = bytes === 4 ? 0xffffffff : (1 << (bytes * 8)) - 1;
  return mask === full ? { value } : { value, mask };
}

/** Result of decoding: the match plus descriptions of OXMs the model cannot hold. */
export interface DecodedMatch {
  match: FlowMatch;
  unsupported: string[];
}

/**
 * Decode one ofp_match at `r` (advances past its padding). Works on raw offsets
 * rather than sub-readers: dumping 10k+ flows must not allocate per TLV.
 */
export function decodeMatch(r: Reader): DecodedMatch {
  const type = r.u16();
  const len = r.u16();
  if (type !== 1) throw new DecodeError(`ofp_match type ${type} is not OXM`);
  if (len < 4) throw new DecodeError(`ofp_match length ${len} too short`);
  const b = r.buf;
  let o = r.off;
  const end = o + len - 4;
  r.skip(((len + 7) & ~7) - 4);
  const m: Record<string, unknown> = {};
  let regs: Record<number, Masked<number>> | undefined;
  const unsupported: string[] = [];
  while (o + 4 <= end) {
    const cls = (b[o]! << 8) | b[o + 1]!;
    const field = b[o + 2]! >> 1;
    const hasMask = (b[o + 2]! & 1) === 1;
    const tlvLen = b[o + 3]!;
    const v = o + 4;
    o = v + tlvLen;
    if (o > end) throw new DecodeError(`OXM TLV overruns the match (class 0x${cls.toString(16)} field ${field})`);
    const n = hasMask ? tlvLen >> 1 : tlvLen;
    if (cls === OXM_BASIC) {
      switch (field) {
        case OFB.IN_PORT: m.in_port = uintAt(b, v, 4); break;
        case OFB.METADATA: {
          const value = b.readBigUInt64BE(v);
          const mask = hasMask ? b.readBigUInt64BE(v + 8) : undefined;
          m.metadata = mask === undefined || mask === 0xffffffffffffffffn ? { value } : { value, mask };
          break;
        }
        case OFB.ETH_SRC: m.eth_src = fmtMac(b, v, n, hasMask); break;
        case OFB.ETH_DST: m.eth_dst = fmtMac(b, v, n, hasMask); break;
        case OFB.ETH_TYPE: m.eth_type = scalar(maskedAt(b, v, 2, hasMask), 'eth_type', unsupported); break;
        case OFB.IP_PROTO: m.ip_proto = scalar(maskedAt(b, v, 1, hasMask), 'ip_proto', unsupported); break;
        case OFB.IPV4_SRC: m.ipv4_src = fmtIp(b, v, n, hasMask); break;
        case OFB.IPV4_DST: m.ipv4_dst = fmtIp(b, v, n, hasMask); break;
        case OFB.IPV6_SRC: m.ipv6_src = fmtIp(b, v, n, hasMask); break;
        case OFB.IPV6_DST: m.ipv6_dst = fmtIp(b, v, n, hasMask); break;
        case OFB.TCP_SRC: m.tcp_src = scalar(maskedAt(b, v, 2, hasMask), 'tcp_src', unsupported); break;
        case OFB.TCP_DST: m.tcp_dst = scalar(maskedAt(b, v, 2, hasMask), 'tcp_dst', unsupported); break;
        case OFB.UDP_SRC: m.udp_src = scalar(maskedAt(b, v, 2, hasMask), 'udp_src', unsupported); break;
        case OFB.UDP_DST: m.udp_dst = scalar(maskedAt(b, v, 2, hasMask), 'udp_dst', unsupported); break;
        case OFB.ICMPV4_TYPE: m.icmpv4_type = scalar(maskedAt(b, v, 1, hasMask), 'icmpv4_type', unsupported); break;
        case OFB.ICMPV6_TYPE: m.icmpv6_type = scalar(maskedAt(b, v, 1, hasMask), 'icmpv6_type', unsupported); break;
        case OFB.ARP_OP: m.arp_op = scalar(maskedAt(b, v, 2, hasMask), 'arp_op', unsupported); break;
        case OFB.ARP_SPA: m.arp_spa = fmtIp(b, v, n, hasMask); break;
        case OFB.ARP_SHA: m.arp_sha = fmtMac(b, v, n, hasMask); break;
        case OFB.TCP_FLAGS: m.tcp_flags = maskedAt(b, v, 2, hasMask); break;
        default: unsupported.push(`oxm basic field ${field}`);
      }
    } else if (cls === NXM_1) {
      if (field >= NXM.REG0 && field <= NXM.REG0 + 15) (regs ??= {})[field - NXM.REG0] = maskedAt(b, v, 4, hasMask);
      else if (field === NXM.IP_FRAG) {
        // Canonical form always carries the mask (exact = 3), e.g. later fragments {value: 3, mask: 3}.
        const f = maskedAt(b, v, 1, hasMask);
        m.ip_frag = { value: f.value, mask: f.mask === undefined || f.mask === 0xff ? 3 : f.mask };
      } else if (field === NXM.IP_TTL) m.nw_ttl = scalar(maskedAt(b, v, 1, hasMask), 'nw_ttl', unsupported);
      else if (field === NXM.TCP_FLAGS) m.tcp_flags = maskedAt(b, v, 2, hasMask);
      else if (field === NXM.CT_STATE) m.ct_state = maskedAt(b, v, 4, hasMask);
      else if (field === NXM.CT_ZONE) m.ct_zone = scalar(maskedAt(b, v, 2, hasMask), 'ct_zone', unsupported);
      else if (field === NXM.CT_MARK) m.ct_mark = maskedAt(b, v, 4, hasMask);
      else unsupported.push(`nxm1 field ${field}`);
    } else if (cls === OXM_EXPERIMENTER) {
      const exp = uintAt(b, v, 4);
      // Experimenter TLV length includes the 4-byte experimenter id before value/mask.
      if (exp === ONF_EXPERIMENTER_ID && field === ONF_TCP_FLAGS) m.tcp_flags = maskedAt(b, v + 4, 2, hasMask);
      else unsupported.push(`experimenter 0x${exp.toString(16)} field ${field}`);
    } else {
      unsupported.push(`oxm class 0x${cls.toString(16)} field ${field}`);
    }
  }
  if (regs) m.regs = regs;
  return { match: m as FlowMatch, unsupported };
}

function scalar(v: Masked<number>, name: string, unsupported: string[]): number {
  if (v.mask !== undefined) unsupported.push(`${name} with mask 0x${v.mask.toString(16)}`);
  return v.value;
}
function fmtMac(b: Buffer, o: number, n: number, hasMask: boolean): string {
  return formatMaskedMac(b.subarray(o, o + n), hasMask ? b.subarray(o + n, o + 2 * n) : undefined);
}
function fmtIp(b: Buffer, o: number, n: number, hasMask: boolean): string {
  if (n === 4) {
    const addr = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    if (!hasMask) return addr;
    const mask = b.subarray(o + 4, o + 8);
    return isAllOnes(mask) ? addr : formatMaskedIp(b.subarray(o, o + 4), mask);
  }
  const mask = hasMask ? b.subarray(o + n, o + 2 * n) : undefined;
  return formatMaskedIp(b.subarray(o, o + n), mask && !isAllOnes(mask) ? mask : undefined);
}
