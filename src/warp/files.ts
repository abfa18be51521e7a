/**
 * The WARP hop's secret input files — the WARP+ licence (`warp.license_file`)
 * and an imported wgcf profile (`warp.wgcf_config`, which holds the device's
 * private key) — read and checked whole: mode first (only the owner may read or
 * write them: a readable file leaks the key, a writable one lets another user
 * swap the peer), then content. Every problem is an InputError (exit 2) naming
 * the key and the fix. Read-only.
 */
import { promises as fs } from 'node:fs';
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import { parseWgcfProfile, type WgcfProfile } from './profile.js';
import { secretFileProblem } from '../core/secret-file.js';

const W = 'plugins.privacy_router.warp';

/** Read `file` (config key `key`) after the one secret-file check (no group/other bit; src/core/secret-file.ts). */
async function readSecretFile(file: string, key: string, what: string): Promise<string> {
  const p = secretFileProblem(file, `a readable ${what}`);
  if (p) throw new InputError({ path: `${W}.${key}`, value: file, expected: `a ${what} only its owner can read or write (it ${p.problem}); fix: ${p.fix}` });
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new InputError({ path: `${W}.${key}`, value: file, expected: `a readable ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
}

/** The WARP+ licence from warp.license_file, or null. InputError when unreadable, exposed, or not licence-shaped. */
export async function readLicense(config: Config): Promise<string | null> {
  const f = config.plugins.privacy_router.warp.license_file;
  if (!f) return null;
  const lic = (await readSecretFile(f, 'license_file', 'file holding the WARP+ key')).trim();
  if (!/^[A-Za-z0-9]{8}-[A-Za-z0-9]{8}-[A-Za-z0-9]{8}$/.test(lic)) {
    throw new InputError({ path: `${W}.license_file`, value: f, expected: 'a file with one WARP+ key of the form XXXXXXXX-XXXXXXXX-XXXXXXXX (1.1.1.1 app: Account > Key)' });
  }
  return lic;
}

/** The parsed profile at `file` (warp.wgcf_config). InputError when unreadable, exposed or invalid. */
export async function readWgcfProfile(file: string): Promise<WgcfProfile> {
  return parseWgcfProfile(await readSecretFile(file, 'wgcf_config', 'wgcf-profile.conf'), `${W}.wgcf_config`);
}

/**
 * Pre-flight for `init`, `plan` and `config check`: when WARP is enabled, the
 * licence and the wgcf profile the config names are checked (mode + content)
 * before any component runs. Throws InputError (exit 2). Read-only.
 */
export async function preflightWarpFiles(config: Config): Promise<void> {
  const w = config.plugins.privacy_router.warp;
  if (!w.enabled) return;
  if (w.license_file) await readLicense(config);
  if (w.wgcf_config) await readWgcfProfile(w.wgcf_config);
}
