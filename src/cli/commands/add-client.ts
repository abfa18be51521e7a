/**
 * `privroute add-client`: add a WireGuard client and print its config (and QR)
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `add-client` on `program`. */
export function register(program: Command): void {
  program
    .command('add-client <name>')
    .description('add a WireGuard client and print its config (and QR)')
    .option('--expires <duration>', 'expire the client after e.g. 30d, 12h')
    .option('--dns <ips>', 'comma-separated DNS servers for this client')
    .option('--qr', 'print the config as a terminal QR code', false)
    .action(
      action(() => {
        throw new NotImplementedError('add-client');
      }),
    );
}
