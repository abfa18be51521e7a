/**
 * Test helper: a fresh, mutable copy of the seed config (test/fixtures/config/seed.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the verbatim seed example. */
export const SEED_PATH = fileURLToPath(new URL('../../fixtures/config/seed.json', import.meta.url));

/** A deep copy of the seed document. */
export function seed(): any {
  return JSON.parse(readFileSync(SEED_PATH, 'utf8'));
}
