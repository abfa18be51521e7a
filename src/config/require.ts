/**
 * Per-command requirements: fields that have no safe default (the VPS address,
 * the public endpoint, ...) are null/empty in config until a command needs them.
 */
import { InputError, type InputProblem } from '../core/errors.js';
import type { Config } from './types.js';
import { ROOT } from './defaults.js';

/**
 * Throw an InputError (exit 2) naming every key in `paths` (relative to
 * plugins.privacy_router, e.g. `wireguard.endpoint`) that is null, empty or
 * absent, and the `command` that needs it. Returns normally when all are set.
 */
export function requireFields(config: Config, paths: readonly string[], command: string): void {
  const problems: InputProblem[] = [];
  for (const p of paths) {
    const v = p.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), config.plugins.privacy_router);
    const missing = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
    if (missing) problems.push({ path: `${ROOT}.${p}`, value: v ?? undefined, expected: `required by "privroute ${command}"; set it in the config` });
  }
  if (problems.length > 0) {
    throw new InputError(problems, { hint: `"${command}" needs ${problems.map((x) => x.path).join(', ')}; add them to the config file and rerun` });
  }
}
