/**
 * Config loading (placeholder being replaced by the convict loader).
 */
import type { Config } from './types.js';
import { NotImplementedError } from '../core/errors.js';

/** Where to load from: explicit file, then env PRIVROUTE_CONFIG, then /etc/privroute/config.json. */
export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/** Load, validate and freeze the config; returns it with the path it came from. */
export function loadConfigWithPath(_opts: LoadOptions = {}): { config: Config; path: string } {
  throw new NotImplementedError('config loading');
}

/** Load, validate and freeze the config. Throws InputError (exit 2) listing every problem. */
export function loadConfig(opts: LoadOptions = {}): Config {
  return loadConfigWithPath(opts).config;
}
