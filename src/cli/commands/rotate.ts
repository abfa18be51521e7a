/**
 * `privroute rotate <warp|xray|mac>`: rotate one credential.
 *
 * - `warp` (src/warp/service.ts): new key + new device, WARP+ license re-applied,
 *   tunnel swapped (key + peer in one UAPI set), old device deleted; a `rotations`
 *   row records it. The daemon's cron job calls the same function.
 * - `xray` is dispatched to `runRotateXray(ctx)` in src/xray/rotate.ts (owned by
 *   the xray component); until that module exists it fails with NotImplementedError.
 * - `mac`: not built yet (NotImplementedError, exit 1; never fakes success).
 */
import type { Command } from 'commander';
import { InputError, NotImplementedError } from '../../core/errors.js';
import { rotateWarpFromConfig } from '../../warp/service.js';
import { action, type CliContext } from '../context.js';

const KINDS = ['warp', 'xray', 'mac'] as const;

/** `rotate warp`: prints the rotation result (no secrets in it). */
export async function rotateWarpCommand(ctx: CliContext): Promise<void> {
  const r = await rotateWarpFromConfig({ config: ctx.config, store: ctx.store(), logger: ctx.logger });
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

/** `rotate xray`: the xray component's function, when it exists. */
async function rotateXrayCommand(ctx: CliContext): Promise<void> {
  // A variable specifier: the module is written by another component and may not exist yet.
  const spec = '../../xray/rotate.js';
  let mod: { runRotateXray?: (ctx: CliContext) => Promise<void> };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('xray/rotate')) throw new NotImplementedError('rotate xray');
    throw e;
  }
  if (typeof mod.runRotateXray !== 'function') throw new NotImplementedError('rotate xray');
  await mod.runRotateXray(ctx);
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
        if (what === 'xray') return rotateXrayCommand(ctx);
        if (what === 'mac') throw new NotImplementedError('rotate mac');
        throw new InputError({ path: 'rotate <what>', value: what, expected: `one of ${KINDS.join(', ')}` });
      }),
    );
}
