/**
 * OpenFlow message framing and the small control messages: header, HELLO (with a
 * version bitmap), ECHO, FEATURES, BARRIER, multipart header, bundles (ONF
 * experimenter on 1.3, native on 1.4+). Flow and meter bodies live in flowmod.ts
 * and meter.ts. All encoders write into a shared {@link Writer} so a whole batch
 * becomes one buffer.
 */
import { DecodeError, Reader, Writer } from './buf.js';
import {
  BUNDLE, OFP13_VERSION, OFP14_VERSION, OFPT, ONF_ET_BUNDLE_ADD_MESSAGE, ONF_ET_BUNDLE_CONTROL, ONF_EXPERIMENTER_ID,
} from './consts.js';

export const OFP_HEADER_LEN = 8;

/** A parsed OpenFlow header plus the whole message bytes. */
export interface OfMessage {
  version: number;
  type: number;
  length: number;
  xid: number;
  /** The complete message including the header. */
  data: Buffer;
}

/** Begin a message; returns the start offset for {@link endMsg}. */
export function beginMsg(w: Writer, version: number, type: number, xid: number): number {
  const start = w.off;
  w.u8(version);
  w.u8(type);
  w.u16(0);
  w.u32(xid);
  return start;
}

/** Patch the length of the message started at `start`. */
export function endMsg(w: Writer, start: number): void {
  const len = w.off - start;
  if (len > 0xffff) throw new RangeError(`OpenFlow message too long (${len} bytes)`);
  w.patch16(start + 2, len);
}

/** Parse the header at `buf[0..]` (buffer holds exactly one message). */
export function parseHeader(buf: Buffer): OfMessage {
  if (buf.length < OFP_HEADER_LEN) throw new DecodeError('short OpenFlow header');
  return { version: buf[0]!, type: buf[1]!, length: buf.readUInt16BE(2), xid: buf.readUInt32BE(4), data: buf };
}

/** HELLO advertising `versions` in a version bitmap (OF1.3.1+ element type 1). */
export function encodeHello(w: Writer, versions: readonly number[], xid: number): void {
  const max = Math.max(...versions);
  const start = beginMsg(w, max, OFPT.HELLO, xid);
  let bitmap = 0;
  for (const v of versions) bitmap |= 1 << v;
  w.u16(1); // OFPHET_VERSIONBITMAP
  w.u16(8);
  w.u32(bitmap >>> 0);
  endMsg(w, start);
}

/** Versions offered by a peer HELLO: the bitmap if present, else every version up to the header's. */
export function decodeHelloVersions(m: OfMessage): number[] {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  while (r.left >= 4) {
    const type = r.u16();
    const len = r.u16();
    if (len < 4) break;
    const body = r.sub(len - 4);
    r.skip(Math.min(r.left, ((len + 7) & ~7) - len));
    if (type === 1) {
      const out: number[] = [];
      let word = 0;
      while (body.left >= 4) {
        const bits = body.u32();
        for (let b = 0; b < 32; b++) if (bits & (1 << b)) out.push(word * 32 + b);
        word++;
      }
      return out;
    }
  }
  return Array.from({ length: m.version }, (_, i) => i + 1);
}

/**
 * Pick the highest version both sides support. Returns undefined if none; the caller
 * reports which versions the switch offered.
 */
export function negotiateVersion(ours: readonly number[], theirs: readonly number[]): number | undefined {
  const common = ours.filter((v) => theirs.includes(v));
  return common.length ? Math.max(...common) : undefined;
}

/** A header-only message (ECHO_REQUEST, FEATURES_REQUEST, BARRIER_REQUEST). */
export function encodeEmpty(w: Writer, version: number, type: number, xid: number): void {
  endMsg(w, beginMsg(w, version, type, xid));
}

/** ECHO_REPLY echoing the request's payload. */
export function encodeEchoReply(w: Writer, req: OfMessage): void {
  const start = beginMsg(w, req.version, OFPT.ECHO_REPLY, req.xid);
  w.bytes(req.data.subarray(OFP_HEADER_LEN, req.length));
  endMsg(w, start);
}

/** FEATURES_REPLY body. */
export interface Features {
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  capabilities: number;
}
/** Decode a FEATURES_REPLY. */
export function decodeFeatures(m: OfMessage): Features {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  const datapathId = r.u64();
  const nBuffers = r.u32();
  const nTables = r.u8();
  r.skip(3);
  return { datapathId, nBuffers, nTables, capabilities: r.u32() };
}

/** Start a multipart request of `mpType`; caller writes the body then calls endMsg. */
export function beginMultipart(w: Writer, version: number, mpType: number, xid: number): number {
  const start = beginMsg(w, version, OFPT.MULTIPART_REQUEST, xid);
  w.u16(mpType);
  w.u16(0);
  w.zero(4);
  return start;
}

/** Multipart reply header fields; `body` is positioned at the first entry. */
export function decodeMultipart(m: OfMessage): { mpType: number; flags: number; body: Reader } {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  const mpType = r.u16();
  const flags = r.u16();
  r.skip(4);
  return { mpType, flags, body: r };
}

/** Bundle control (OPEN/CLOSE/COMMIT/DISCARD request). ONF experimenter on 1.3, native on 1.4+. */
export function encodeBundleControl(w: Writer, version: number, xid: number, bundleId: number, type: number, flags: number): void {
  const start = bundleHeader(w, version, xid, false);
  w.u32(bundleId);
  w.u16(type);
  w.u16(flags);
  endMsg(w, start);
}

function bundleHeader(w: Writer, version: number, xid: number, add: boolean): number {
  if (version >= OFP14_VERSION) return beginMsg(w, version, add ? OFPT.BUNDLE_ADD_MESSAGE : OFPT.BUNDLE_CONTROL, xid);
  const start = beginMsg(w, version, OFPT.EXPERIMENTER, xid);
  w.u32(ONF_EXPERIMENTER_ID);
  w.u32(add ? ONF_ET_BUNDLE_ADD_MESSAGE : ONF_ET_BUNDLE_CONTROL);
  return start;
}

/**
 * Bundle add: wraps the message written by `inner` (which must use the same xid:
 * OVS rejects a bundled message whose xid differs from the outer one).
 */
export function encodeBundleAdd(w: Writer, version: number, xid: number, bundleId: number, flags: number, inner: (w: Writer) => void): void {
  const start = bundleHeader(w, version, xid, true);
  w.u32(bundleId);
  w.u16(0);
  w.u16(flags);
  inner(w);
  endMsg(w, start);
}

/** If `m` is a bundle control reply, its {bundleId, type}; else undefined. */
export function decodeBundleControl(m: OfMessage): { bundleId: number; type: number; flags: number } | undefined {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  if (m.type === OFPT.EXPERIMENTER) {
    if (r.left < 16 || r.u32() !== ONF_EXPERIMENTER_ID || r.u32() !== ONF_ET_BUNDLE_CONTROL) return undefined;
  } else if (m.type !== OFPT.BUNDLE_CONTROL) return undefined;
  return { bundleId: r.u32(), type: r.u16(), flags: r.u16() };
}

export { BUNDLE, OFP13_VERSION, OFP14_VERSION };
