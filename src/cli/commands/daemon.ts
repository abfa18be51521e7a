/**
 * `privroute daemon`: run the scheduler, health checks and status endpoint
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `daemon` on `program`. */
export function register(program: Command): void {
  program
    .command('daemon')
    .description('run the scheduler, health checks and status endpoint')
    .action(
      action(() => {
        throw new NotImplementedError('daemon');
      }),
    );
}
