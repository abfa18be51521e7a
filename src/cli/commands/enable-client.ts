/**
 * `privroute enable-client NAME`: enable a disabled client: add its peer back.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { clientService, warn } from '../../tunnel/cli-support.js';

/** Register `enable-client` on `program`. */
export function register(program: Command): void {
  program
    .command('enable-client <name>')
    .description('enable a disabled client: add its peer back')
    .action(
      action(async (ctx, cmd) => {
        const r = await clientService(ctx).enable(cmd.args[0]!);
        ctx.output(r, () => `client ${r.name}: enabled${r.applied === 'applied' ? ' (live interface updated)' : ''}`);
        warn(ctx, r.warning);
      }),
    );
}
