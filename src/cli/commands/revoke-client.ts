/**
 * `privroute revoke-client NAME`: revoke a client: remove its peer and free its address.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { clientService, warn } from '../../tunnel/cli-support.js';

/** Register `revoke-client` on `program`. */
export function register(program: Command): void {
  program
    .command('revoke-client <name>')
    .description('revoke a client: remove its peer and free its address')
    .action(
      action(async (ctx, cmd) => {
        const r = await clientService(ctx).revoke(cmd.args[0]!);
        ctx.output(r, () => `client ${r.name}: revoked${r.applied === 'applied' ? ' (live interface updated)' : ''}`);
        warn(ctx, r.warning);
      }),
    );
}
