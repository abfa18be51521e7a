/**
 * A minimal X.509 v3 writer for the VPS's self-signed certificate.
 *
 * Why hand-written: the certificate is a secret-bearing artefact we want to make
 * without spawning openssl on the node, and deterministically in tests. Ed25519
 * signatures are deterministic, so the same seed and time give the same PEM.
 * Measured: Debian's v2ray 4.34 (Go 1.19) serves and pins this certificate.
 */
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { isIP } from 'node:net';
import type { TlsMaterial } from './types.js';

// --- DER primitives -------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, body: Buffer) => tlv(0xa0 | n, body);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const body = b.subarray(i);
  return tlv(0x02, body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2) + 'Z')) : tlv(0x18, Buffer.from(iso + 'Z'));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand '::' then pack 8 groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => { const b = Buffer.alloc(2); b.writeUInt16BE(parseInt(g, 16)); return b; }));
}

const ED25519 = '1.3.101.112';
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SelfSignedOptions {
  /** DNS name or IP literal; becomes CN and the only SAN. */
  subject: string;
  /** 32-byte Ed25519 seed (the private key). */
  seed: Buffer;
  /** Serial number bytes (positive, up to 20). */
  serial: Buffer;
  /** Start of validity; the certificate is valid from now-1h for 10 years. */
  now: Date;
}

/**
 * Make a self-signed Ed25519 certificate for `subject` with a SAN (iPAddress for
 * an IP literal, dNSName otherwise), usable both as the server's leaf and as the
 * client's pinned verification root. Returns PEM certificate and PKCS#8 key.
 */
export function selfSignedEd25519(o: SelfSignedOptions): TlsMaterial {
  if (o.seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, o.seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), utf8(o.subject))));
  const san = isIP(o.subject) ? tlv(0x87, ipBytes(o.subject)) : tlv(0x82, Buffer.from(o.subject, 'ascii'));
  const notBefore = new Date(o.now.getTime() - 3600_000);
  const notAfter = new Date(o.now.getTime() + 10 * 365 * 86400_000);
  const serial = Buffer.from(o.serial.subarray(0, 20));
  serial[0]! &= 0x7f; // keep it positive
  const extensions = explicit(3, seq(
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))), // basicConstraints: CA (it is its own root)
    seq(oid('2.5.29.15'), bool(true), octets(tlv(0x03, Buffer.from([0x02, 0x84])))), // keyUsage: digitalSignature, keyCertSign
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
    seq(oid('2.5.29.17'), octets(seq(san))), // subjectAltName
  ));
  const algo = seq(oid(ED25519));
  const tbs = seq(explicit(0, integer(Buffer.from([2]))), integer(serial), algo, name, seq(time(notBefore), time(notAfter)), name, spki, extensions);
  const signature = sign(null, tbs, key);
  const der = seq(tbs, algo, bitString(signature));
  const pem = (label: string, b: Buffer) =>
    `-----BEGIN ${label}-----\n${b.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
