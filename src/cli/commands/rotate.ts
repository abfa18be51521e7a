/**
 * `privroute rotate`: rotate WARP account, XRay credentials or socket MACs
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `rotate` on `program`. */
export function register(program: Command): void {
  program
    .command('rotate <what>')
    .description('rotate one credential: warp, xray or mac')
    .action(
      action(() => {
        throw new NotImplementedError('rotate');
      }),
    );
}
