/**
 * WireGuard keys: generation, encodings (base64 for configs and `wg`, lowercase
 * hex for the UAPI protocol), validation and public-key derivation.
 *
 * Generation uses Node's crypto (X25519 from OpenSSL's DRBG, PSKs from
 * randomBytes): wireguard-tools.js `key.*` falls back to `std::mt19937 * rand()`
 * when getentropy() fails (addons/genKey/wgkeys.cpp), silently producing weak
 * keys; OpenSSL refuses to run without entropy instead (issue 11 item 14, proved by
 * test/unit/tunnel/keys-entropy.test.ts). The keys agree with `wg pubkey`
 * (test/unit/tunnel/keys.test.ts). wireguard-tools.js's device control and
 * wg-quick text functions are not used either: they are broken against
 * wireguard-go (defects recorded in device/uapi.ts and measured by
 * test/unit/tunnel/wgtools-defects.test.ts).
 *
 * Derivation of a public key from a private key is done with Node's X25519
 * (synchronous, pure), so parsers can fill `publicKey` without I/O.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/** A 32-byte WireGuard key as standard base64 (44 chars, trailing '='). */
export type KeyB64 = string;

const B64_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const HEX_KEY = /^[0-9a-f]{64}$/;

/** True if `s` is a canonical base64 WireGuard key. */
export function isKeyB64(s: string): boolean {
  return B64_KEY.test(s);
}

/** base64 key → lowercase hex (UAPI encoding). Throws on a malformed key. */
export function keyToHex(k: KeyB64): string {
  if (!isKeyB64(k)) throw new Error('malformed WireGuard key (expected 44-char base64)');
  return Buffer.from(k, 'base64').toString('hex');
}

/** Lowercase/uppercase hex key (UAPI) → base64. Throws on a malformed key. */
export function hexToKey(h: string): KeyB64 {
  const l = h.toLowerCase();
  if (!HEX_KEY.test(l)) throw new Error('malformed hex WireGuard key (expected 64 hex chars)');
  return Buffer.from(l, 'hex').toString('base64');
}

/** True if the key is all zeros (UAPI's "no key", e.g. no preshared key). */
export function isZeroKey(k: KeyB64): boolean {
  return Buffer.from(k, 'base64').every((b) => b === 0);
}

// PKCS#8 DER header for a raw 32-byte X25519 private key (RFC 8410).
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The public key of `privateKey` (X25519 base-point multiplication), base64.
 * Pure and synchronous. Throws on a malformed key.
 */
export function publicKeyOf(privateKey: KeyB64): KeyB64 {
  if (!isKeyB64(privateKey)) throw new Error('malformed WireGuard private key');
  const der = Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateKey, 'base64')]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return pub.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

/** A key pair. */
export interface KeyPair {
  privateKey: KeyB64;
  publicKey: KeyB64;
}

/**
 * Generate a key pair: X25519 from Node's crypto, the raw private scalar clamped
 * as `wg genkey` does (wireguard-go clamps what it is given and reports the
 * clamped key back; the public key is the same either way).
 */
export async function generateKeyPair(): Promise<KeyPair> {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  const sk = Buffer.from(jwk.d!, 'base64url');
  sk[0]! &= 248;
  sk[31] = (sk[31]! & 127) | 64;
  const privateKey = sk.toString('base64');
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** Generate a preshared key: 32 bytes from Node's CSPRNG (as `wg genpsk`). */
export async function generatePresharedKey(): Promise<KeyB64> {
  return randomBytes(32).toString('base64');
}

/** A client's full key set: its pair plus the PSK it shares with the gateway. */
export interface ClientKeys extends KeyPair {
  presharedKey: KeyB64;
}

/** Generate a client's keys in one call (a pair and a PSK, all from Node's crypto). */
export async function generateClientKeys(): Promise<ClientKeys> {
  return { ...(await generateKeyPair()), presharedKey: await generatePresharedKey() };
}
