/**
 * `privroute flows`: show or reconcile the OpenFlow pipeline
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `flows` on `program`. */
export function register(program: Command): void {
  program
    .command('flows')
    .description('show or reconcile the OpenFlow pipeline')
    .action(
      action(() => {
        throw new NotImplementedError('flows');
      }),
    );
}
