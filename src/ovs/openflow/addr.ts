/**
 * Address helpers for the codec: MAC, IPv4 and IPv6 text <-> bytes, with the
 * `addr/prefix` and `addr/mask` forms ovs-ofctl prints. Values are canonicalised
 * the way Open vSwitch stores them (value bits outside the mask are zeroed), so a
 * desired flow and the same flow dumped back compare equal.
 */
import ipaddr from 'ipaddr.js';

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Codec input that cannot be encoded (bad address text, unresolved port name, ...). */
export class EncodeError extends Error {}

/** "aa:bb:cc:dd:ee:ff" -> 6 bytes. */
export function macToBytes(mac: string): Buffer {
  if (!MAC_RE.test(mac)) throw new EncodeError(`invalid MAC address ${JSON.stringify(mac)}; expected aa:bb:cc:dd:ee:ff`);
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

/** 6 bytes -> "aa:bb:cc:dd:ee:ff" (lowercase). */
export function bytesToMac(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return h.replace(/(..)(?!$)/g, '$1:');
}

/** A masked MAC text "mac" or "mac/mask" -> value and optional mask (undefined = exact). */
export function parseMaskedMac(text: string): { value: Buffer; mask?: Buffer } {
  const [v, m] = text.split('/', 2) as [string, string | undefined];
  const value = macToBytes(v);
  if (m === undefined) return { value };
  const mask = macToBytes(m);
  for (let i = 0; i < 6; i++) value[i]! &= mask[i]!;
  return isAllOnes(mask) ? { value } : { value, mask };
}

/** True if every byte is 0xff (an exact-match mask). */
export function isAllOnes(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0xff) return false;
  return true;
}

/** Prefix length of a CIDR mask, or -1 if the mask is not contiguous. */
export function prefixLen(mask: Uint8Array): number {
  let n = 0;
  let i = 0;
  for (; i < mask.length && mask[i] === 0xff; i++) n += 8;
  if (i === mask.length) return n;
  const byte = mask[i]!;
  let bits = 0;
  while (bits < 8 && byte & (0x80 >> bits)) bits++;
  if (byte !== ((0xff00 >> bits) & 0xff)) return -1;
  for (i++; i < mask.length; i++) if (mask[i] !== 0) return -1;
  return n + bits;
}

function maskFromPrefix(len: number, bytes: number): Buffer {
  const m = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    m[i] = (0xff00 >> bits) & 0xff;
  }
  return m;
}

/** Strict dotted-quad parser (hot path: 50k flows; ipaddr.js costs ~5 µs per call). */
function ipv4Bytes(text: string): Buffer | undefined {
  const b = Buffer.allocUnsafe(4);
  let part = 0;
  let digits = 0;
  let val = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3 || val > 255) return undefined;
      b[part++] = val;
      digits = 0;
      val = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return undefined; // no leading zeros (octal ambiguity)
      val = val * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else return undefined;
  }
  return part === 4 ? b : undefined;
}

function ipBytes(text: string, family: 4 | 6): Buffer {
  if (family === 4) {
    const b = ipv4Bytes(text);
    if (!b) throw new EncodeError(`invalid IPv4 address ${JSON.stringify(text)}`);
    return b;
  }
  if (!ipaddr.IPv6.isValid(text) || !text.includes(':')) throw new EncodeError(`invalid IPv${family} address ${JSON.stringify(text)}`);
  return Buffer.from(ipaddr.parse(text).toByteArray());
}

/** "10.0.0.0/24", "10.0.0.1", "10.0.0.0/255.255.255.0" (or IPv6 forms) -> value & mask bytes. */
export function parseMaskedIp(text: string, family: 4 | 6): { value: Buffer; mask?: Buffer } {
  const slash = text.indexOf('/');
  const value = ipBytes(slash < 0 ? text : text.slice(0, slash), family);
  if (slash < 0) return { value };
  const m = text.slice(slash + 1);
  let mask: Buffer;
  if (/^\d+$/.test(m)) {
    const len = Number(m);
    if (len > value.length * 8) throw new EncodeError(`invalid prefix length in ${JSON.stringify(text)}`);
    mask = maskFromPrefix(len, value.length);
  } else {
    mask = ipBytes(m, family);
  }
  for (let i = 0; i < value.length; i++) value[i]! &= mask[i]!;
  return isAllOnes(mask) ? { value } : { value, mask };
}

/** Bytes (+ optional mask) -> the canonical text ("a.b.c.d/len" when the mask is a prefix). */
export function formatMaskedIp(value: Uint8Array, mask?: Uint8Array): string {
  const addr = formatIp(value);
  if (!mask || isAllOnes(mask)) return addr;
  const len = prefixLen(mask);
  return len >= 0 ? `${addr}/${len}` : `${addr}/${formatIp(mask)}`;
}

/** 4 or 16 bytes -> dotted quad / RFC 5952 IPv6 text. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return (ipaddr.fromByteArray(Array.from(b)) as ipaddr.IPv6).toRFC5952String();
}

/** Format a masked MAC: "mac" or "mac/mask". */
export function formatMaskedMac(value: Uint8Array, mask?: Uint8Array): string {
  return !mask || isAllOnes(mask) ? bytesToMac(value) : `${bytesToMac(value)}/${bytesToMac(mask)}`;
}
