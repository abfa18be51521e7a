/**
 * X25519 key pairs for WARP devices (tweetnacl), in the standard base64 the API
 * and WireGuard use, plus base64 <-> hex for the UAPI.
 */
import nacl from 'tweetnacl';

/** A WireGuard key pair, standard base64 (44 chars). `privateKey` is a secret. */
export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

/**
 * Generate a fresh key pair with tweetnacl. The private key is clamped as `wg genkey`
 * does (wireguard-go clamps what it is given and reports the clamped key back, so an
 * unclamped key would never compare equal); the public key is unchanged by clamping.
 */
export function generateKeyPair(): WgKeyPair {
  const kp = nacl.box.keyPair();
  const sk = Buffer.from(kp.secretKey);
  sk[0]! &= 248;
  sk[31] = (sk[31]! & 127) | 64;
  return { privateKey: sk.toString('base64'), publicKey: Buffer.from(kp.publicKey).toString('base64') };
}

/** The public key of a base64 private key. Throws on a malformed key. */
export function publicKeyOf(privateKey: string): string {
  return Buffer.from(nacl.box.keyPair.fromSecretKey(decodeKey(privateKey)).publicKey).toString('base64');
}

/** True when `s` is a 32-byte key in standard base64. */
export function isKey(s: unknown): s is string {
  return typeof s === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(s) && Buffer.from(s, 'base64').length === 32;
}

/** Decode a base64 key to 32 bytes, or throw. */
export function decodeKey(s: string): Uint8Array {
  if (!isKey(s)) throw new Error('not a 32-byte base64 WireGuard key');
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** base64 key -> lowercase hex (UAPI form). */
export function keyToHex(s: string): string {
  return Buffer.from(decodeKey(s)).toString('hex');
}

/** hex key (UAPI form) -> base64. */
export function hexToKey(h: string): string {
  if (!/^[0-9a-f]{64}$/i.test(h)) throw new Error('not a 32-byte hex key');
  return Buffer.from(h, 'hex').toString('base64');
}
