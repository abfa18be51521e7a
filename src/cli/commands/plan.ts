/**
 * `privroute plan`: what `init` would change, changing nothing (read-only observe
 * and reconcile of every component). Prints nothing to change on a converged node.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { checkApplianceInput, runAppliance } from '../appliance-run.js';

/** Register `plan` on `program`. */
export function register(program: Command): void {
  program
    .command('plan')
    .description('show what init would change, change nothing')
    .action(
      action(
        async (ctx) => {
          await runAppliance(ctx, 'plan');
        },
        { validate: (_cmd, ctx) => checkApplianceInput(ctx, 'plan'), lock: true },
      ),
    );
}
