/**
 * Public API of the config layer: load (file order --config, $PRIVROUTE_CONFIG,
 * /etc/privroute/config.json), check, and per-command requirements.
 */
export type * from './types.js';
export { loadConfig, loadConfigWithPath, resolveConfigPath, readConfigJson, type LoadOptions } from './load.js';
export { checkConfig, validateConfig, deepFreeze } from './validate.js';
export { requireFields } from './require.js';
export { DEFAULT_CONFIG_PATH, CONFIG_ENV, DEFAULTS } from './defaults.js';
