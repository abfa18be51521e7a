/**
 * `privroute rotate <warp|xray|mac>`: rotate one credential.
 *
 * - `warp` (src/warp/service.ts): new key + new device, WARP+ license re-applied,
 *   tunnel swapped (key + peer in one UAPI set), old device deleted; a `rotations`
 *   row records it. The daemon's cron job calls the same function.
 * - `xray` (src/xray/rotate.ts): lockstep — the new UUID is added on the VPS,
 *   the client switched, then the old one removed.
 * - `mac`: not built (NotImplementedError, exit 1; never fakes success): sockets
 *   moved into containers keep their MAC when OVSDB's Interface.mac changes
 *   (measured), so `privroute status` reports MAC rotation as unavailable.
 */
import type { Command } from 'commander';
import { InputError, NotImplementedError } from '../../core/errors.js';
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

/** Register `rotate` on `program`. */
export function register(program: Command): void {
  program
    .command('rotate <what>')
    .description('rotate one credential: warp (new WARP device), xray or mac')
    .action(
      action(async (ctx, cmd) => {
        const what = cmd.args[0];
        if (what === 'warp') return rotateWarpCommand(ctx);
        if (what === 'xray') return runRotateXray(ctx);
        if (what === 'mac') throw new NotImplementedError('rotate mac');
        throw new InputError({ path: 'rotate <what>', value: what, expected: `one of ${KINDS.join(', ')}` });
      }),
    );
}
