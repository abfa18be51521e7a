/**
 * `privroute disable-client`: disable a client without deleting it
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `disable-client` on `program`. */
export function register(program: Command): void {
  program
    .command('disable-client <name>')
    .description('disable a client without deleting it')
    .action(
      action(() => {
        throw new NotImplementedError('disable-client');
      }),
    );
}
