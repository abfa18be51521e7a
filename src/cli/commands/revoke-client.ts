/**
 * `privroute revoke-client`: remove a client and its keys
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `revoke-client` on `program`. */
export function register(program: Command): void {
  program
    .command('revoke-client <name>')
    .description('remove a client and its keys')
    .action(
      action(() => {
        throw new NotImplementedError('revoke-client');
      }),
    );
}
