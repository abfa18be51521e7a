/**
 * `privroute show-client`: print a client config (and QR)
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `show-client` on `program`. */
export function register(program: Command): void {
  program
    .command('show-client <name>')
    .description('print a client config (and QR)')
    .option('--qr', 'print the config as a terminal QR code', false)
    .action(
      action(() => {
        throw new NotImplementedError('show-client');
      }),
    );
}
