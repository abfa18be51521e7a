/**
 * Action and instruction codec for {@link FlowAction} and the METER / APPLY_ACTIONS /
 * GOTO_TABLE instructions, in the encodings Open vSwitch uses on OF1.3/1.4:
 * OFPAT_OUTPUT (also `in_port` = OFPP_IN_PORT and `controller` = OFPP_CONTROLLER),
 * OFPAT_SET_FIELD (registers and nw_ttl carry their NXM_1 header, as OVS does when a
 * field has no basic OXM), OFPAT_SET_NW_TTL, OFPAT_DEC_NW_TTL, and Nicira
 * NXAST_RESUBMIT_TABLE / NXAST_CT (+ nested NXAST_NAT) / NXAST_CT_CLEAR.
 * Instruction order is OVS's: meter, apply_actions, goto_table.
 */
import type { FlowAction, SetFieldName } from '../flow.js';
import { Reader, Writer } from './buf.js';
import { EncodeError, formatIp, macToBytes, parseMaskedIp, bytesToMac } from './addr.js';
import {
  NXAST, NX_CT_F_COMMIT, NX_CT_RECIRC_NONE, NX_NAT_F, NX_NAT_RANGE, NX_VENDOR_ID, OFPAT, OFPCML_NO_BUFFER, OFPIT, OFPP,
} from './consts.js';
import { NXM, NXM_1, OFB, OXM_BASIC } from './oxm.js';

interface SetFieldDef { cls: number; field: number; bytes: number; kind: 'mac' | 'ipv4' | 'uint' }
function setFieldDef(name: string): SetFieldDef {
  switch (name) {
    case 'eth_src': return { cls: OXM_BASIC, field: OFB.ETH_SRC, bytes: 6, kind: 'mac' };
    case 'eth_dst': return { cls: OXM_BASIC, field: OFB.ETH_DST, bytes: 6, kind: 'mac' };
    case 'ipv4_src': return { cls: OXM_BASIC, field: OFB.IPV4_SRC, bytes: 4, kind: 'ipv4' };
    case 'ipv4_dst': return { cls: OXM_BASIC, field: OFB.IPV4_DST, bytes: 4, kind: 'ipv4' };
    case 'nw_ttl': return { cls: NXM_1, field: NXM.IP_TTL, bytes: 1, kind: 'uint' };
  }
  const reg = /^reg(\d{1,2})$/.exec(name);
  if (reg && Number(reg[1]) <= 15) return { cls: NXM_1, field: NXM.REG0 + Number(reg[1]), bytes: 4, kind: 'uint' };
  throw new EncodeError(`set_field: unsupported field ${JSON.stringify(name)}`);
}

function setFieldName(cls: number, field: number): SetFieldName | undefined {
  if (cls === OXM_BASIC) {
    return ({ [OFB.ETH_SRC]: 'eth_src', [OFB.ETH_DST]: 'eth_dst', [OFB.IPV4_SRC]: 'ipv4_src', [OFB.IPV4_DST]: 'ipv4_dst' } as Record<number, SetFieldName>)[field];
  }
  if (cls === NXM_1) {
    if (field === NXM.IP_TTL) return 'nw_ttl';
    if (field >= NXM.REG0 && field <= NXM.REG0 + 15) return `reg${field - NXM.REG0}`;
  }
  return undefined;
}

function nxHeader(w: Writer, len: number, subtype: number): void {
  w.u16(OFPAT.EXPERIMENTER);
  w.u16(len);
  w.u32(NX_VENDOR_ID);
  w.u16(subtype);
}

function u16port(p: number, what: string): number {
  if (p === OFPP.IN_PORT) return 0xfff8;
  if (p > 0xff00) throw new EncodeError(`${what}: port ${p} does not fit the 16-bit resubmit port`);
  return p;
}

function portNum(p: unknown, what: string): number {
  if (typeof p !== 'number') throw new EncodeError(`${what}: port name ${JSON.stringify(p)} is not resolved to an OpenFlow port number`);
  if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) throw new EncodeError(`${what}: invalid port ${p}`);
  return p;
}

/** Encode one action. */
export function encodeAction(w: Writer, a: FlowAction): void {
  switch (a.type) {
    case 'output':
    case 'in_port':
    case 'controller': {
      const port = a.type === 'output' ? portNum(a.port, 'output') : a.type === 'in_port' ? OFPP.IN_PORT : OFPP.CONTROLLER;
      w.u16(OFPAT.OUTPUT);
      w.u16(16);
      w.u32(port);
      w.u16(a.type === 'controller' ? (a.maxLen ?? OFPCML_NO_BUFFER) : 0);
      w.zero(6);
      return;
    }
    case 'set_field': {
      const d = setFieldDef(a.field);
      const start = w.off;
      w.u16(OFPAT.SET_FIELD);
      w.u16(0);
      w.u16(d.cls);
      w.u8(d.field << 1);
      w.u8(d.bytes);
      if (d.kind === 'mac') w.bytes(macToBytes(String(a.value)));
      else if (d.kind === 'ipv4') {
        const ip = parseMaskedIp(String(a.value), 4);
        if (ip.mask) throw new EncodeError(`set_field ${a.field}: ${a.value} must be a single address`);
        w.bytes(ip.value);
      } else {
        const v = Number(a.value);
        const max = d.bytes === 4 ? 0xffffffff : 0xff;
        if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(`set_field ${a.field}: ${a.value} out of range`);
        if (d.bytes === 1) w.u8(v);
        else w.u32(v);
      }
      w.pad8(start);
      w.patch16(start + 2, w.off - start);
      return;
    }
    case 'dec_ttl':
      w.u16(OFPAT.DEC_NW_TTL);
      w.u16(8);
      w.zero(4);
      return;
    case 'set_nw_ttl':
      if (!Number.isInteger(a.ttl) || a.ttl < 0 || a.ttl > 255) throw new EncodeError(`set_nw_ttl: ${a.ttl} out of range`);
      w.u16(OFPAT.SET_NW_TTL);
      w.u16(8);
      w.u8(a.ttl);
      w.zero(3);
      return;
    case 'resubmit':
      nxHeader(w, 16, NXAST.RESUBMIT_TABLE);
      w.u16(a.port === undefined ? 0xfff8 : u16port(portNum(a.port, 'resubmit'), 'resubmit'));
      w.u8(a.table);
      w.zero(3);
      return;
    case 'ct_clear':
      nxHeader(w, 16, NXAST.CT_CLEAR);
      w.zero(6);
      return;
    case 'ct': {
      const start = w.off;
      nxHeader(w, 0, NXAST.CT);
      w.u16(a.commit ? NX_CT_F_COMMIT : 0);
      w.u32(0); // zone_src 0: immediate zone
      w.u16(a.zone ?? 0);
      w.u8(a.table ?? NX_CT_RECIRC_NONE);
      w.zero(3);
      w.u16(0); // alg
      if (a.nat) encodeNat(w, a.nat);
      w.patch16(start + 2, w.off - start);
      return;
    }
    default:
      throw new EncodeError(`unsupported action ${JSON.stringify(a)}`);
  }
}

function encodeNat(w: Writer, nat: { kind: 'src' | 'dst' | 'restore'; addr?: string }): void {
  const start = w.off;
  nxHeader(w, 0, NXAST.NAT);
  w.zero(2);
  let flags = 0;
  let range = 0;
  let min: Buffer | undefined;
  let max: Buffer | undefined;
  if (nat.kind !== 'restore') {
    flags = nat.kind === 'src' ? NX_NAT_F.SRC : NX_NAT_F.DST;
    if (nat.addr) {
      const [lo, hi] = nat.addr.replace(/^\[|\]$/g, '').split(/\]?-\[?/) as [string, string | undefined];
      const fam = lo.includes(':') ? 6 : 4;
      min = parseMaskedIp(lo, fam).value;
      if (hi !== undefined) max = parseMaskedIp(hi, fam).value;
      range = fam === 4 ? NX_NAT_RANGE.IPV4_MIN | (max ? NX_NAT_RANGE.IPV4_MAX : 0) : NX_NAT_RANGE.IPV6_MIN | (max ? NX_NAT_RANGE.IPV6_MAX : 0);
    }
  } else if (nat.addr) {
    throw new EncodeError('ct nat restore takes no address');
  }
  w.u16(flags);
  w.u16(range);
  if (min) w.bytes(min);
  if (max) w.bytes(max);
  w.pad8(start);
  w.patch16(start + 2, w.off - start);
}

/** Encode the instructions of a flow: [METER] [APPLY_ACTIONS] [GOTO_TABLE]. */
export function encodeInstructions(w: Writer, actions: readonly FlowAction[], meter?: number, gotoTable?: number): void {
  if (meter !== undefined) {
    w.u16(OFPIT.METER);
    w.u16(8);
    w.u32(meter);
  }
  if (actions.length) {
    const start = w.off;
    w.u16(OFPIT.APPLY_ACTIONS);
    w.u16(0);
    w.zero(4);
    for (const a of actions) encodeAction(w, a);
    w.patch16(start + 2, w.off - start);
  }
  if (gotoTable !== undefined) {
    w.u16(OFPIT.GOTO_TABLE);
    w.u16(8);
    w.u8(gotoTable);
    w.zero(3);
  }
}

/** Decoded instructions; `unsupported` lists what the model cannot represent. */
export interface DecodedInstructions {
  actions: FlowAction[];
  meter?: number;
  gotoTable?: number;
  unsupported: string[];
}

/** Decode the instruction list occupying the rest of `r`. */
export function decodeInstructions(r: Reader): DecodedInstructions {
  const out: DecodedInstructions = { actions: [], unsupported: [] };
  while (r.left >= 4) {
    const type = r.u16();
    const len = r.u16();
    const body = r.sub(len - 4);
    if (type === OFPIT.APPLY_ACTIONS) {
      body.skip(4);
      decodeActions(body, out.actions, out.unsupported);
    } else if (type === OFPIT.GOTO_TABLE) out.gotoTable = body.u8();
    else if (type === OFPIT.METER) out.meter = body.u32();
    else out.unsupported.push(`instruction ${type}`);
  }
  return out;
}

/** Decode a list of actions occupying the rest of `r` into `into`. */
export function decodeActions(r: Reader, into: FlowAction[], unsupported: string[]): void {
  while (r.left >= 4) {
    const type = r.u16();
    const len = r.u16();
    const b = r.sub(len - 4);
    if (type === OFPAT.OUTPUT) {
      const port = b.u32();
      const maxLen = b.u16();
      if (port === OFPP.IN_PORT) into.push({ type: 'in_port' });
      else if (port === OFPP.CONTROLLER) into.push(maxLen === OFPCML_NO_BUFFER ? { type: 'controller' } : { type: 'controller', maxLen });
      else into.push({ type: 'output', port });
    } else if (type === OFPAT.DEC_NW_TTL) into.push({ type: 'dec_ttl' });
    else if (type === OFPAT.SET_NW_TTL) into.push({ type: 'set_nw_ttl', ttl: b.u8() });
    else if (type === OFPAT.SET_FIELD) {
      const cls = b.u16();
      const field = b.u8() >> 1;
      const n = b.u8();
      const name = setFieldName(cls, field);
      const v = b.bytes(n);
      if (!name) unsupported.push(`set_field class 0x${cls.toString(16)} field ${field}`);
      else if (name === 'eth_src' || name === 'eth_dst') into.push({ type: 'set_field', field: name, value: bytesToMac(v) });
      else if (name === 'ipv4_src' || name === 'ipv4_dst') into.push({ type: 'set_field', field: name, value: formatIp(v) });
      else into.push({ type: 'set_field', field: name, value: n === 1 ? v[0]! : v.readUInt32BE(0) });
    } else if (type === OFPAT.EXPERIMENTER && b.left >= 6 && b.u32() === NX_VENDOR_ID) {
      decodeNx(b, b.u16(), into, unsupported);
    } else unsupported.push(`action type ${type}`);
  }
}

function decodeNx(b: Reader, subtype: number, into: FlowAction[], unsupported: string[]): void {
  if (subtype === NXAST.RESUBMIT_TABLE || subtype === NXAST.RESUBMIT) {
    const port = b.u16();
    const table = subtype === NXAST.RESUBMIT ? 0xff : b.u8();
    if (table === 0xff) unsupported.push('resubmit without table');
    else into.push(port === 0xfff8 ? { type: 'resubmit', table } : { type: 'resubmit', table, port });
  } else if (subtype === NXAST.CT_CLEAR) into.push({ type: 'ct_clear' });
  else if (subtype === NXAST.CT) {
    const flags = b.u16();
    const zoneSrc = b.u32();
    const zone = b.u16();
    const table = b.u8();
    b.skip(3);
    const alg = b.u16();
    if (zoneSrc !== 0) unsupported.push('ct zone from a field');
    if (alg !== 0) unsupported.push(`ct alg ${alg}`);
    if (flags & ~NX_CT_F_COMMIT) unsupported.push(`ct flags 0x${flags.toString(16)}`);
    const ct: Extract<FlowAction, { type: 'ct' }> = { type: 'ct' };
    if (flags & NX_CT_F_COMMIT) ct.commit = true;
    if (zone !== 0) ct.zone = zone;
    if (table !== NX_CT_RECIRC_NONE) ct.table = table;
    const nested: FlowAction[] = [];
    while (b.left >= 4) {
      const t = b.u16();
      const l = b.u16();
      const nb = b.sub(l - 4);
      if (t === OFPAT.EXPERIMENTER && nb.u32() === NX_VENDOR_ID && nb.u16() === NXAST.NAT) ct.nat = decodeNat(nb, unsupported);
      else unsupported.push(`ct nested action ${t}`);
    }
    void nested;
    into.push(ct);
  } else unsupported.push(`nicira action subtype ${subtype}`);
}

function decodeNat(b: Reader, unsupported: string[]): { kind: 'src' | 'dst' | 'restore'; addr?: string } {
  b.skip(2);
  const flags = b.u16();
  const range = b.u16();
  const kind = flags & NX_NAT_F.SRC ? 'src' : flags & NX_NAT_F.DST ? 'dst' : 'restore';
  if (flags & ~(NX_NAT_F.SRC | NX_NAT_F.DST)) unsupported.push(`nat flags 0x${flags.toString(16)}`);
  let addr: string | undefined;
  if (range & NX_NAT_RANGE.IPV4_MIN) {
    addr = formatIp(b.bytes(4));
    if (range & NX_NAT_RANGE.IPV4_MAX) addr += '-' + formatIp(b.bytes(4));
  }
  if (range & NX_NAT_RANGE.IPV6_MIN) {
    addr = '[' + formatIp(b.bytes(16)) + ']';
    if (range & NX_NAT_RANGE.IPV6_MAX) addr += '-[' + formatIp(b.bytes(16)) + ']';
  }
  if (range & (NX_NAT_RANGE.PROTO_MIN | NX_NAT_RANGE.PROTO_MAX)) unsupported.push('nat port range');
  return addr === undefined ? { kind } : { kind, addr };
}
