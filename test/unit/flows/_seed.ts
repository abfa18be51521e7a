/**
 * The seed's example config (test/fixtures/config/seed.json) through the real
 * config validator (defaults filled in), cloned so tests can patch it. Patches are
 * applied after validation on purpose: the compiler must refuse bad input on its
 * own, whatever the config layer let through.
 */
import { readFileSync } from 'node:fs';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config, RouterConfig } from '../../../src/config/types.js';

const RAW = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8'));

/** The seed config (validated, defaults filled), with `patch` applied to plugins.privacy_router. */
export function seedConfig(patch: (r: RouterConfig) => void = () => {}): Config {
  const c = structuredClone(validateConfig(RAW)) as Config;
  patch(c.plugins.privacy_router);
  return c;
}
