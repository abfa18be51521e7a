/**
 * `privroute rotate <warp|xray|mac> [--dry-run]`: rotate one credential.
 *
 * - `warp` (src/warp/service.ts): new key + new device, WARP+ license re-applied,
 *   tunnel swapped (key + peer in one UAPI set), old device deleted.
 * - `xray` (src/xray/rotate.ts): lockstep — the new UUID is added on the VPS,
 *   the client switched, then the old one removed.
 * - `mac` (src/rotation/mac.ts): every socket's MAC moved where its link lives
 *   (inside its container), make-before-break flows, neighbours refreshed by the
 *   kernel's gratuitous ARP / unsolicited NA; journaled, so `init` finishes an
 *   interrupted one.
 * Every rotation is a row of the rotation log (`privroute history`). `--dry-run`
 * prints what the rotation would do and changes nothing.
 */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { applianceContext } from '../../appliance/index.js';
import { rotateMacs } from '../../rotation/mac.js';
import { activeAccount } from '../../warp/account-store.js';
import { rotateWarpFromConfig } from '../../warp/service.js';
import { runRotateXray } from '../../xray/rotate.js';
import { action, type CliContext } from '../context.js';
import { applianceTopology } from '../../topology/topology.js';

const KINDS = ['warp', 'xray', 'mac'] as const;

/** `rotate warp`: prints the rotation result (no secrets in it). */
export async function rotateWarpCommand(ctx: CliContext): Promise<void> {
  const r = await rotateWarpFromConfig({ config: ctx.config, store: ctx.store(), topology: applianceTopology(ctx.config, ctx.store()), logger: ctx.logger });
  ctx.output(r, () =>
    [
      `WARP rotated (rotation #${r.rotationId}): device ${r.oldDeviceId ?? '(none)'} -> ${r.newDeviceId} (${r.accountType ?? 'unknown'} account)`,
      r.oldDeleted ? `old device ${r.oldDeviceId} deleted` : r.oldDeviceId ? `old device ${r.oldDeviceId} NOT deleted` : '',
      r.licenseWarning ? `warning: ${r.licenseWarning}` : '',
      r.deleteWarning ? `warning: ${r.deleteWarning}` : '',
      r.cleanedUp.length ? `also deleted leftover devices: ${r.cleanedUp.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

/** `rotate mac`: progress per step on stderr, then the moves. */
export async function rotateMacCommand(ctx: CliContext, dryRun: boolean): Promise<void> {
  const ic = applianceContext(ctx.config, ctx.store(), ctx.logger);
  const r = await rotateMacs(ic, { dryRun, onStep: (s, d) => ctx.opts.json || ctx.io.err.write(`step ${s}: ${d}\n`) });
  ctx.output(r, () =>
    r.dryRun
      ? ['dry run: `privroute rotate mac` would', ...r.steps.map((s) => `  - ${s}`), 'nothing was changed'].join('\n')
      : [`MACs rotated (rotation #${r.rotationId}):`, ...r.moves.map((m) => `  ${m.name.padEnd(14)} ${m.from} -> ${m.to}`)].join('\n'),
  );
}

/** What `rotate warp|xray --dry-run` would do (read-only: the store only). */
function dryRunOther(ctx: CliContext, what: 'warp' | 'xray'): void {
  const steps =
    what === 'warp'
      ? [
          `register a new WARP device (current: ${activeAccount(ctx.store())?.deviceId ?? 'none'}) with a new key`,
          're-apply the WARP+ license, if configured',
          'swap warp0 to the new key and peer in one UAPI set',
          'delete the old device',
        ]
      : ['add a new VLESS UUID on the VPS server', 'switch the XRay client (CT 101) to it and prove the path', 'remove the old UUID from the VPS'];
  ctx.output({ dryRun: true, what, steps }, () => [`dry run: \`privroute rotate ${what}\` would`, ...steps.map((s) => `  - ${s}`), 'nothing was changed'].join('\n'));
}

/** Register `rotate` on `program`. */
export function register(program: Command): void {
  program
    .command('rotate <what>')
    .description('rotate one credential: warp (new WARP device), xray (new UUID) or mac (new socket MACs)')
    .option('--dry-run', 'print what the rotation would do; change nothing', false)
    .action(
      action(
        async (ctx, cmd) => {
          const what = cmd.args[0];
          const { dryRun } = cmd.opts<{ dryRun: boolean }>();
          if (what === 'mac') return rotateMacCommand(ctx, dryRun);
          if (dryRun) return dryRunOther(ctx, what as 'warp' | 'xray');
          if (what === 'warp') return rotateWarpCommand(ctx);
          return runRotateXray(ctx);
        },
        {
          validate: (cmd) => {
            const what = cmd.args[0];
            if (!(KINDS as readonly string[]).includes(what!)) throw new InputError({ path: 'rotate <what>', value: what, expected: `one of ${KINDS.join(', ')}` });
          },
          // Two rotations (CLI and the daemon's cron, or two CLIs) never interleave; a dry run changes nothing.
          lock: (cmd) => !cmd.opts<{ dryRun: boolean }>().dryRun,
        },
      ),
    );
}
