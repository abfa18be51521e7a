/**
 * `privroute hook <vmid> <phase>`: called by the Proxmox hookscript privroute installs
 * (proxmox/privroute-hook.sh, rendered by init). On post-start of one of privroute's
 * containers it brings that container's hop back (src/proxmox/hook.ts); every other call
 * changes nothing and exits 0. Exit 1 when the hop did not converge (Proxmox only warns:
 * the container stays up, and its traffic stays dropped until `privroute init`).
 */
import type { Command } from 'commander';
import { OperationError } from '../../core/errors.js';
import { converged, runComponents } from '../../core/runner.js';
import { applianceComponents, applianceContext } from '../../appliance/index.js';
import { desiredContainers } from '../../appliance/containers.js';
import { hookComponentNames, parseHookArgs, selectComponents } from '../../proxmox/hook.js';
import { reportLine } from '../appliance-run.js';
import { action } from '../context.js';

/** Register `hook` on `program`. */
export function register(program: Command): void {
  program
    .command('hook <vmid> <phase>')
    .description('Proxmox hookscript entry: on post-start, bring that container\'s hop back')
    .action(
      action(async (ctx, cmd) => {
        const { vmid, phase } = parseHookArgs(String(cmd.args[0]), String(cmd.args[1]));
        const config = ctx.config;
        const ic = applianceContext(config, ctx.store(), ctx.logger);
        if (phase !== 'post-start' || !desiredContainers(ic).some((s) => s.id === vmid)) {
          ctx.output({ vmid, phase, acted: false }, () => `hook ${vmid} ${phase}: nothing to do`);
          return;
        }
        const t0 = Date.now();
        const reports = await runComponents(selectComponents(applianceComponents(ic), hookComponentNames(config, vmid)), {
          listener: { done: (r) => void (ctx.opts.json || ctx.io.err.write(reportLine(r) + '\n')) },
        });
        ctx.output({ vmid, phase, acted: true, converged: converged(reports), ms: Date.now() - t0, components: reports }, () => `hook ${vmid} ${phase}: ${converged(reports) ? 'converged' : 'NOT converged'} in ${Date.now() - t0} ms`);
        if (!converged(reports)) throw new OperationError('hook', `CT ${vmid}'s hop did not converge after its start`, { hint: 'see the FAIL lines; run `privroute init`', reported: true });
      }),
    );
}
