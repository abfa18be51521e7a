/**
 * The hop's secrets in the state store (the `secrets` table, one JSON value),
 * and the rotation log (the `rotations` table). The material is created once
 * (atomically, so two processes agree) and changed only by rotation.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { StateError } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import { cryptoRandom, newMaterial, type RandomSource } from './secrets.js';
import type { XrayMaterial } from './types.js';
import { selfSignedEd25519 } from './x509.js';

/** Secret name of the material. */
export const MATERIAL_SECRET = 'xray.material';

/** Load the material; undefined when init has not created it yet. */
export function loadMaterial(store: StateStore): XrayMaterial | undefined {
  const raw = store.getSecret(MATERIAL_SECRET);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as XrayMaterial;
  } catch (e) {
    throw new StateError(`state secret ${MATERIAL_SECRET} is not valid JSON`, 'restore the state store from backup, or delete the secret and run "privroute init" (the VPS and client get new identities)', e);
  }
}

/** Load the material or fail with how to create it. */
export function requireMaterial(store: StateStore): XrayMaterial {
  const m = loadMaterial(store);
  if (!m) throw new StateError('no XRay identity in the state store', 'run "privroute init" first (it provisions the VPS and the XRay client)');
  return m;
}

/** Persist the material. */
export function saveMaterial(store: StateStore, m: XrayMaterial): void {
  store.setSecret(MATERIAL_SECRET, JSON.stringify(m));
}

/** True when the certificate names `address` (IP SAN or DNS SAN). */
export function certCovers(certPem: string, address: string): boolean {
  const cert = new X509Certificate(certPem);
  return isIP(address) ? cert.checkIP(address) !== undefined : cert.checkHost(address) !== undefined;
}

/**
 * Get the material, creating it on first use. A certificate that no longer names
 * the VPS address (the address changed) is re-issued; everything else is kept.
 */
export function ensureMaterial(store: StateStore, vpsAddress: string, rand: RandomSource = cryptoRandom): XrayMaterial {
  return store.tx(() => {
    const have = loadMaterial(store);
    if (!have) {
      const m = newMaterial({ vpsAddress, rand });
      saveMaterial(store, m);
      return m;
    }
    if (certCovers(have.tls.certPem, vpsAddress)) return have;
    const m = { ...have, tls: selfSignedEd25519({ subject: vpsAddress, seed: rand(32), serial: rand(16), now: new Date() }) };
    saveMaterial(store, m);
    return m;
  });
}

/** The rotation log lives in src/rotation/history.ts (one writer for every kind). */
export { startRotation, finishRotation } from '../state/rotations.js';
