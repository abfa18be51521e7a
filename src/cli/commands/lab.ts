/**
 * `privroute lab`: bring the whole chain up on this machine in namespaces
 * Not built yet: fails with NotImplementedError (exit 1), never fakes success.
 */
import type { Command } from 'commander';
import { NotImplementedError } from '../../core/errors.js';
import { action } from '../context.js';

/** Register `lab` on `program`. */
export function register(program: Command): void {
  program
    .command('lab [action]')
    .description('the whole chain on this machine in namespaces: up, down or status')
    .action(
      action(() => {
        throw new NotImplementedError('lab');
      }),
    );
}
