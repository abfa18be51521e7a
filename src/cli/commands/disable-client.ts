/**
 * `privroute disable-client NAME`: disable a client: remove its peer, keep its address and keys.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { clientService, warn } from '../../tunnel/cli-support.js';

/** Register `disable-client` on `program`. */
export function register(program: Command): void {
  program
    .command('disable-client <name>')
    .description('disable a client: remove its peer, keep its address and keys')
    .action(
      action(async (ctx, cmd) => {
        const r = await clientService(ctx).disable(cmd.args[0]!);
        ctx.output(r, () => `client ${r.name}: disabled${r.applied === 'applied' ? ' (live interface updated)' : ''}`);
        warn(ctx, r.warning);
      }),
    );
}
