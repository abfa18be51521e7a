/**
 * `privroute config check`: load and validate the config (syntax, schema,
 * semantics), print "config OK: <path>" (or the config as JSON with --json) and
 * exit 0, or print every problem at once and exit 2.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { preflightWarpFiles } from '../../warp/files.js';

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
        ctx.output({ ok: true, path: ctx.configPath, config: cfg }, () => `config OK: ${ctx.configPath}`);
      }),
    );
}
