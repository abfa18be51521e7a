/**
 * Shared inputs for the renderer golden tests: a seeded secret source and fixed
 * time, so the generated material (UUID, X25519 keys, shortId, Ed25519 cert) is
 * stable. `UPDATE_GOLDEN=1` rewrites the fixtures instead of comparing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newMaterial, seededRandom } from '../../../src/xray/secrets.js';
import type { EngineInfo } from '../../../src/xray/types.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/xray');

export const XRAY: EngineInfo = { kind: 'xray', version: '25.3.6', binary: 'xray', banner: 'Xray 25.3.6 (Xray, Penetrates Everything.)' };
export const V2RAY: EngineInfo = { kind: 'v2ray', version: '4.34.0', binary: 'v2ray', banner: 'V2Ray 4.34.0 (user) 20230518-074445 (go1.19.8 linux/amd64)' };

/** Material generated from a fixed seed and time. */
export function goldenMaterial() {
  return newMaterial({ vpsAddress: '203.0.113.10', rand: seededRandom('privroute-golden'), now: new Date('2026-01-01T00:00:00Z') });
}

/** Compare `actual` with the fixture `name`, or write it when UPDATE_GOLDEN=1. Returns the expected text. */
export function golden(name: string, actual: string): string {
  const file = path.join(FIXTURES, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden ${file} missing; run with UPDATE_GOLDEN=1 and review the diff`);
    writeFileSync(file, actual);
  }
  return readFileSync(file, 'utf8');
}
