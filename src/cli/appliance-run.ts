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
import { verifyContainers } from '../appliance/containers.js';
import { verifyBridge } from '../proxmox/bridge-guard.js';
import { desiredPorts } from '../appliance/ovs.js';
import { preflightWarpFiles } from '../warp/files.js';
import { meshPreflight } from '../mesh/preflight.js';
import { nodeExec } from '../host/node.js';
import { recordSysctlBaseline } from '../net/sysctl-baseline.js';
import type { CliContext } from './context.js';
import { recoverMacRotation } from '../rotation/mac.js';
import { readJournal } from '../rotation/mac-journal.js';

const quietOf = (ctx: CliContext): boolean => ctx.opts.json === true;
import type { HookTarget } from '../proxmox/hookscript.js';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { setSpawnConcurrency } from '../host/local.js';

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

/**
 * The input checks of init/plan (pure; InputError, exit 2): the config, and the
 * fields without a safe default that the enabled hops need, so a missing VPS key
 * never leaves a half-built node behind. Run before the state lock (nothing touched).
 */
export function checkApplianceInput(ctx: CliContext, mode: 'init' | 'plan'): void {
  const config = ctx.config;
  if (config.plugins.privacy_router.xray.enabled) requireFields(config, ['xray.vps_address', 'vps.ssh.key_file', 'vps.ssh.host_key'], mode);
}

/** How Proxmox's hookscript calls this very privroute (the running CLI's argv, config and state dir). */
export function hookTargetOf(ctx: CliContext): HookTarget {
  return { argv: [process.execPath, ...process.execArgv, path.resolve(process.argv[1]!)], configPath: path.resolve(ctx.configPath), stateDir: path.resolve(ctx.opts.stateDir) };
}

/** Run init (apply) or plan; prints progress and the result. */
export async function runAppliance(ctx: CliContext, mode: 'init' | 'plan'): Promise<ComponentReport[]> {
  checkApplianceInput(ctx, mode); // InputError (exit 2) before anything else
  const config = ctx.config;
  const store = ctx.store({ create: mode === 'init' });
  // The mesh's keys, netclient and (when not joined yet) its token: before any change,
  // the MAC-rotation recovery below included (exit 2 / install steps, nothing touched).
  if (config.plugins.privacy_router.netmaker.enabled) await meshPreflight(config, nodeExec(config.plugins.privacy_router.runtime));
  // An interrupted MAC rotation (its journal is in the store) is finished, or rolled
  // back, before the components converge to the salt then in force (src/rotation/mac.ts).
  const open = readJournal(store);
  if (open && mode === 'plan') ctx.io.err.write(`plan mac-rotation: the interrupted MAC rotation #${open.rotationId} will be finished (or rolled back) by init\n`);
  if (open && mode === 'init') {
    const rec = await recoverMacRotation(applianceContext(config, store, ctx.logger));
    if (rec && !quietOf(ctx)) ctx.io.err.write(`${rec.outcome === 'finished' ? 'ok  ' : 'WARN'} mac-rotation ${rec.detail}\n`);
  }
  const ic = { ...applianceContext(config, store, ctx.logger), hookTarget: hookTargetOf(ctx) };
  const components = applianceComponents(ic); // compiles flows etc.: bad input throws here, still before any change
  await verifyContainers(ic); // an existing chain CT with its own netN: exit 2, nothing touched
  await verifyBridge(config, desiredPorts(ic).map((d) => d.name)); // a bridge carrying other guests (vmbr0) is not taken over: exit 2, nothing touched
  await preflightWarpFiles(config); // licence / wgcf profile: mode and content, exit 2, nothing touched
  // The node's forwarding sysctls as they are before init changes any (teardown restores them).
  if (mode === 'init') await recordSysctlBaseline(nodeExec(config.plugins.privacy_router.runtime), store);
  const quiet = ctx.opts.json;
  // Every component observes at once (src/core/runner.ts): a few processes per core at a time.
  setSpawnConcurrency(2 * availableParallelism());
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
