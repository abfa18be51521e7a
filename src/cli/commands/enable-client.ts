/**
 * `privroute enable-client`: re-enable a disabled client
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `enable-client` on `program`. */
export function register(program: Command): void {
  program
    .command('enable-client <name>')
    .description('re-enable a disabled client')
    .action(
      action(() => {
        throw new NotImplementedError('enable-client');
      }),
    );
}
