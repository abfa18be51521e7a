/**
 * `privroute plan`: show what init would change, change nothing
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `plan` on `program`. */
export function register(program: Command): void {
  program
    .command('plan')
    .description('show what init would change, change nothing')
    .action(
      action(() => {
        throw new NotImplementedError('plan');
      }),
    );
}
