/**
 * `privroute init`: provision or repair everything from config (idempotent).
 * Each component observes, reconciles and applies only the difference; a second
 * run changes nothing and says so.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { checkApplianceInput, runAppliance } from '../appliance-run.js';

/** Register `init` on `program`. */
export function register(program: Command): void {
  program
    .command('init')
    .description('provision or repair everything from config (idempotent)')
    .action(
      action(
        async (ctx) => {
          await runAppliance(ctx, 'init');
        },
        { validate: (_cmd, ctx) => checkApplianceInput(ctx, 'init'), lock: 'create' },
      ),
    );
}
