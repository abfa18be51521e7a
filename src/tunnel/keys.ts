/**
 * WireGuard keys: generation, encodings (base64 for configs and `wg`, lowercase
 * hex for the UAPI protocol), validation and public-key derivation.
 *
 * Generation uses wireguard-tools.js `key.*` (the owner's named library; its key
 * functions are correct and agree with `wg pubkey` — see test/unit/tunnel/keys.test.ts).
 * Its device control and wg-quick text functions are NOT used: they are broken
 * against wireguard-go (defects recorded in device/uapi.ts and measured by
 * test/unit/tunnel/wgtools-defects.test.ts).
 *
 * Derivation of a public key from a private key is done with Node's X25519
 * (synchronous, pure), so parsers can fill `publicKey` without I/O.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { key as wgKey } from 'wireguard-tools.js';

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

/** Generate a key pair (wireguard-tools.js `key.genKey()`; ~1 ms). */
export async function generateKeyPair(): Promise<KeyPair> {
  const k = await wgKey.genKey();
  return { privateKey: k.privateKey, publicKey: k.publicKey };
}

/** A client's full key set: its pair plus the PSK it shares with the gateway. */
export interface ClientKeys extends KeyPair {
  presharedKey: KeyB64;
}

/** Generate a client's keys in one call (wireguard-tools.js `key.genKey(true)`). */
export async function generateClientKeys(): Promise<ClientKeys> {
  const k = await wgKey.genKey(true);
  return { privateKey: k.privateKey, publicKey: k.publicKey, presharedKey: k.presharedKey };
}
