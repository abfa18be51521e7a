/**
 * `privroute init`: provision or repair everything from config (idempotent)
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `init` on `program`. */
export function register(program: Command): void {
  program
    .command('init')
    .description('provision or repair everything from config (idempotent)')
    .option('--dry-run', 'show what would change, change nothing', false)
    .action(
      action(() => {
        throw new NotImplementedError('init');
      }),
    );
}
