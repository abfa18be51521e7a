/**
 * Generation of the hop's secrets: VLESS UUIDs, REALITY X25519 keys, shortIds,
 * and the VPS's self-signed certificate. Randomness comes from an injectable
 * {@link RandomSource} so golden tests are stable (seeded) while production uses
 * the CSPRNG. Nothing here touches a host.
 */
import { createHash, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import type { RealityKeys, VlessUser, XrayMaterial } from './types.js';
import { selfSignedEd25519 } from './x509.js';

/** Returns `n` random bytes. */
export type RandomSource = (n: number) => Buffer;

/** The CSPRNG. */
export const cryptoRandom: RandomSource = (n) => randomBytes(n);

/**
 * A deterministic source for tests only: SHA-256 in counter mode over `seed`.
 * Never use it for real secrets.
 */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  };
}

/** A random RFC 4122 version-4 UUID. */
export function newUuid(rand: RandomSource): string {
  const b = Buffer.from(rand(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** base64 RawURL (RFC 4648 §5, no padding), the encoding Xray prints and parses. */
export function base64RawUrl(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/**
 * An X25519 key pair for REALITY. The private key is clamped the way
 * `xray x25519` clamps it, so both tools print the same pair for the same bytes.
 */
export function newRealityKeys(rand: RandomSource): RealityKeys {
  const priv = Uint8Array.from(rand(32));
  priv[0]! &= 248;
  priv[31]! &= 127;
  priv[31]! |= 64;
  const pub = nacl.scalarMult.base(priv);
  return { privateKey: base64RawUrl(priv), publicKey: base64RawUrl(pub) };
}

/** Derive the public half of a REALITY private key (base64 RawURL in and out). */
export function realityPublicKey(privateKey: string): string {
  const priv = Buffer.from(privateKey, 'base64url');
  if (priv.length !== 32) throw new Error('REALITY private key must be 32 bytes');
  return base64RawUrl(nacl.scalarMult.base(Uint8Array.from(priv)));
}

/** A random REALITY shortId: `bytes` random bytes (4..8) as lowercase hex (8..16 chars). */
export function newShortId(rand: RandomSource, bytes = 8): string {
  if (bytes < 4 || bytes > 8) throw new Error('shortId length must be 4..8 bytes (8..16 hex chars)');
  return Buffer.from(rand(bytes)).toString('hex');
}

/** The VLESS user of generation `g`: a fresh UUID and a stable email handle. */
export function newUser(rand: RandomSource, generation: number): VlessUser {
  return { uuid: newUuid(rand), email: `privroute-g${generation}@privroute` };
}

export interface MaterialOptions {
  /** Address clients dial (DNS name or IP); becomes the certificate's SAN. */
  vpsAddress: string;
  rand?: RandomSource;
  /** Certificate validity start (injected for golden tests). */
  now?: Date;
}

/** Fresh material for generation 1: one user, one shortId, REALITY keys, a certificate. */
export function newMaterial(opts: MaterialOptions): XrayMaterial {
  const rand = opts.rand ?? cryptoRandom;
  const user = newUser(rand, 1);
  const shortId = newShortId(rand);
  return {
    generation: 1,
    serverUsers: [user],
    clientUser: user,
    shortIds: [shortId],
    clientShortId: shortId,
    reality: newRealityKeys(rand),
    tls: selfSignedEd25519({ subject: opts.vpsAddress, seed: rand(32), serial: rand(16), now: opts.now ?? new Date() }),
  };
}
