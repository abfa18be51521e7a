/**
 * Locating, reading and parsing the config file. Order: the explicit file
 * (--config), then $PRIVROUTE_CONFIG, then /etc/privroute/config.json.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { Config } from './types.js';
import { CONFIG_ENV, DEFAULT_CONFIG_PATH } from './defaults.js';
import { validateConfig } from './validate.js';

/** Where to load from. `env` defaults to process.env. */
export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/** The path the config will be read from, following the documented order. */
export function resolveConfigPath(opts: LoadOptions = {}): string {
  const env = opts.env ?? process.env;
  if (opts.file) return opts.file;
  if (env[CONFIG_ENV]) return env[CONFIG_ENV]!;
  return DEFAULT_CONFIG_PATH;
}

/** Read and JSON-parse `file`; a missing file or a syntax error is an InputError naming it. */
export function readConfigJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      { path: '--config', value: file, expected: code === 'ENOENT' ? 'expected an existing config file' : `expected a readable config file (${code ?? (e as Error).message})` },
      { hint: `pass --config <file>, set ${CONFIG_ENV}, or create ${DEFAULT_CONFIG_PATH} (see deploy/ for an example)`, cause: e },
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(
      { path: file, expected: `expected valid JSON: ${(e as Error).message}` },
      { hint: 'fix the JSON syntax (no comments or trailing commas)', cause: e },
    );
  }
}

/** Load, validate and freeze the config; returns it with the path it came from. Throws InputError (exit 2). */
export function loadConfigWithPath(opts: LoadOptions = {}): { config: Config; path: string } {
  const path = resolveConfigPath(opts);
  return { config: validateConfig(readConfigJson(path), path), path };
}

/** Load, validate and freeze the config. Throws InputError (exit 2) listing every problem. */
export function loadConfig(opts: LoadOptions = {}): Config {
  return loadConfigWithPath(opts).config;
}
