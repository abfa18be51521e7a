/**
 * Shared body of `privroute init` and `privroute plan`: build the components,
 * run them (apply or plan-only), print one line per component (stderr while it
 * runs; the report as data on stdout), and fail with exit 1 if anything did not
 * converge. Bad config fails before anything is touched (exit 2).
 */
import { formatDuration } from '../core/progress.js';
import { runComponents, converged, type ComponentReport } from '../core/runner.js';
import { OperationError } from '../core/errors.js';
import { requireFields } from '../config/require.js';
import { applianceComponents, applianceContext } from '../appliance/index.js';
import type { CliContext } from './context.js';
import type { HookTarget } from '../proxmox/hookscript.js';
import path from 'node:path';

const MARK: Record<ComponentReport['status'], string> = { unchanged: 'ok  ', changed: 'ok  ', planned: 'plan', failed: 'FAIL', skipped: 'skip' };

/** One human line for a component report. */
export function reportLine(r: ComponentReport): string {
  const what =
    r.status === 'unchanged' ? 'unchanged' :
    r.status === 'changed' ? `${r.changes.length} change(s)` :
    r.status === 'planned' ? `${r.changes.length} change(s) pending` :
    r.detail ?? '';
  return `${MARK[r.status]} ${r.name} (${formatDuration(r.ms)}) ${what}`;
}

/** How Proxmox's hookscript calls this very privroute (the running CLI's argv, config and state dir). */
export function hookTargetOf(ctx: CliContext): HookTarget {
  return { argv: [process.execPath, ...process.execArgv, path.resolve(process.argv[1]!)], configPath: path.resolve(ctx.configPath), stateDir: path.resolve(ctx.opts.stateDir) };
}

/** Run init (apply) or plan; prints progress and the result. */
export async function runAppliance(ctx: CliContext, mode: 'init' | 'plan'): Promise<ComponentReport[]> {
  const config = ctx.config; // InputError (exit 2) before anything else
  // Fields without a safe default that the enabled hops need: checked up front, so a
  // missing VPS key never leaves a half-built node behind (exit 2, nothing touched).
  if (config.plugins.privacy_router.xray.enabled) requireFields(config, ['xray.vps_address', 'vps.ssh.key_file', 'vps.ssh.host_key'], mode);
  const store = ctx.store({ create: mode === 'init' });
  const ic = { ...applianceContext(config, store, ctx.logger), hookTarget: hookTargetOf(ctx) };
  const components = applianceComponents(ic); // compiles flows etc.: bad input throws here, still before any change
  const quiet = ctx.opts.json;
  const reports = await runComponents(components, {
    planOnly: mode === 'plan',
    listener: {
      done: (r) => {
        if (quiet) return;
        ctx.io.err.write(reportLine(r) + '\n');
        const show = r.status === 'planned' || r.status === 'changed' ? r.changes : [];
        for (const c of show) ctx.io.err.write(`       ${c}\n`);
        if (r.hint) ctx.io.err.write(`       hint: ${r.hint}\n`);
      },
    },
  });
  const pending = reports.reduce((n, r) => n + (r.status === 'planned' || r.status === 'changed' ? r.changes.length : 0), 0);
  ctx.output({ mode, converged: converged(reports), changes: pending, components: reports }, () =>
    !converged(reports)
      ? `${mode}: not converged (${reports.filter((r) => r.status === 'failed').map((r) => r.name).join(', ')} failed)`
      : pending === 0
        ? `${mode}: nothing to change; the node is converged`
        : mode === 'plan'
          ? `plan: ${pending} change(s) pending; run "privroute init" to apply`
          : `init: applied ${pending} change(s)`,
  );
  if (!converged(reports)) {
    throw new OperationError(mode, 'some components did not converge', { hint: 'see the FAIL lines above; fix the cause and run init again (it only applies what is still missing)' });
  }
  return reports;
}
