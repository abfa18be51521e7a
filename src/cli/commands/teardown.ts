/**
 * `privroute teardown`: remove from this node what `init` created on it (deploy/uninstall.sh
 * calls it): the hookscript, the chain bridge with its ports and flows, privroute's firewall
 * rules and chains, policy rules and routes, the WARP tunnel, the mesh membership, the
 * ifupdown2 stanza; the containers only with `--containers`. Planned from the config (the
 * same desired state init converges to) against what is observed (src/appliance/teardown.ts);
 * `--dry-run` prints the plan and changes nothing. A second run changes nothing.
 * The node's forwarding sysctls go back to their values before the first init (when recorded).
 * Not removed: the VPS's XRay server, the state dir, the config.
 * Exit 2 on a bad config or `--containers` without the pct runtime (nothing touched);
 * exit 1 when a removal failed (the others still ran; run it again).
 */
import type { Command } from 'commander';
import { InputError, OperationError } from '../../core/errors.js';
import { converged, runComponents } from '../../core/runner.js';
import { nodeExec } from '../../host/node.js';
import { applianceTopology } from '../../topology/topology.js';
import { teardownComponents } from '../../appliance/teardown.js';
import { reportLine } from '../appliance-run.js';
import { action } from '../context.js';

/** Register `teardown` on `program`. */
export function register(program: Command): void {
  program
    .command('teardown')
    .description('remove what init created on this node (bridge, flows, firewall rules, routes, hookscript, stanza); containers only with --containers')
    .option('--containers', "also stop and destroy privroute's containers (pct; they hold the gateway's keys)", false)
    .option('--dry-run', 'print what would be removed; change nothing', false)
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ containers: boolean; dryRun: boolean }>();
        const config = ctx.config;
        const r = config.plugins.privacy_router;
        if (o.containers && r.runtime.kind !== 'pct') {
          throw new InputError({ path: '--containers', value: r.runtime.kind, expected: 'runtime.kind "pct" (the netns runtime has no containers to destroy)' });
        }
        // Every component is built (and its desired state derived) before anything is observed: bad input changes nothing.
        const store = ctx.existingStore();
        const components = teardownComponents({ config, node: nodeExec(r.runtime), topology: applianceTopology(config, store), containers: o.containers, baseline: store });
        const reports = await runComponents(components, {
          planOnly: o.dryRun,
          listener: {
            done: (rep) => {
              if (ctx.opts.json) return;
              ctx.io.err.write(reportLine(rep) + '\n');
              if (rep.status === 'planned' || rep.status === 'changed') for (const c of rep.changes) ctx.io.err.write(`       ${c}\n`);
            },
          },
        });
        const n = reports.reduce((k, rep) => k + (rep.status === 'planned' || rep.status === 'changed' ? rep.changes.length : 0), 0);
        ctx.output({ dryRun: o.dryRun, converged: converged(reports), changes: n, components: reports }, () =>
          !converged(reports) ? `teardown: not finished (${reports.filter((x) => x.status === 'failed').map((x) => x.name).join(', ')} failed)`
          : n === 0 ? 'teardown: nothing of privroute is left on this node'
          : o.dryRun ? `teardown: ${n} removal(s) planned; run without --dry-run to apply` : `teardown: removed ${n} item(s)`,
        );
        if (!converged(reports)) throw new OperationError('teardown', 'some removals failed', { hint: 'see the FAIL lines above; fix the cause and run teardown again (it removes only what is left)', reported: true });
      }),
    );
}
