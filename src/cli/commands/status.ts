/**
 * `privroute status`: health of every hop of the chain
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `status` on `program`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('health of every hop of the chain')
    .action(
      action(() => {
        throw new NotImplementedError('status');
      }),
    );
}
