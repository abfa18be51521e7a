/** Shared unit-test helpers for the tunnel: a valid config and a temp store. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { StateStore } from '../../../src/state/store.js';

/** The owner's seed config (as-is) with wireguard overrides. */
export function seedConfig(wg: Record<string, unknown> = {}): Config {
  const md = readFileSync('/work/shared/seeds/privacy-router-tunnel.md', 'utf8');
  const json = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(md)![1]!);
  Object.assign(json.plugins.privacy_router.wireguard, { endpoint: 'vpn.example.com:51820', subnet: '10.8.0.0/24', ...wg });
  return validateConfig(json, 'test');
}

/** A fresh store in a temp dir, closed and deleted at teardown. */
export function tmpStore(t: { teardown(fn: () => void): void }): StateStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-tun-'));
  const s = StateStore.open(dir, { create: true });
  t.teardown(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}
