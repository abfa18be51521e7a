/**
 * `privroute list-clients`: list WireGuard clients
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `list-clients` on `program`. */
export function register(program: Command): void {
  program
    .command('list-clients')
    .description('list WireGuard clients')
    .action(
      action(() => {
        throw new NotImplementedError('list-clients');
      }),
    );
}
