/**
 * `privroute config check`: load and validate the config (syntax, schema,
 * semantics), print "config OK: <path>" (or the config as JSON with --json) and
 * exit 0, or print every problem at once and exit 2. With `wireguard.endpoint`
 * "auto" it reads the uplink's address on the node (read-only) and exits 2 when
 * there is no public one (behind NAT: the operator must set the endpoint).
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { preflightWarpFiles } from '../../warp/files.js';
import { resolveEndpoint } from '../../tunnel/endpoint.js';
import { nodeExec } from '../../host/node.js';

/** Register `config` (with its `check` subcommand) on `program`. */
export function register(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the config file; every problem is reported at once (exit 2)')
    .action(
      action(async (ctx) => {
        // Loading validates; an InputError listing every problem propagates (exit 2).
        const cfg = ctx.config;
        // The secret files the config names (WARP licence, wgcf profile): mode and content.
        await preflightWarpFiles(cfg);
        // endpoint "auto": the uplink must hold a public address (behind NAT the operator sets it): InputError, exit 2.
        const endpoint = cfg.plugins.privacy_router.wireguard.endpoint === 'auto' ? await resolveEndpoint(cfg, nodeExec(cfg.plugins.privacy_router.runtime)) : null;
        ctx.output({ ok: true, path: ctx.configPath, config: cfg, ...(endpoint ? { endpoint } : {}) }, () => `config OK: ${ctx.configPath}${endpoint ? `\nendpoint auto: ${endpoint} (the uplink's address)` : ''}`);
      }),
    );
}
