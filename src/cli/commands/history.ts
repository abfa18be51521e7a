/**
 * `privroute history [--kind K] [--limit N]`: the rotation log, newest first —
 * every MAC, client key, WARP device and XRay UUID rotation with when it started
 * and finished and its outcome (src/rotation/history.ts). Read-only. No secrets
 * (the log holds none).
 */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { listRotations } from '../../state/rotations.js';
import { action } from '../context.js';

/** Register `history` on `program`. */
export function register(program: Command): void {
  program
    .command('history')
    .description('list the rotations (mac, client, warp, xray): what, when, outcome')
    .option('--kind <kind>', 'only this kind: mac, client, warp, xray')
    .option('--limit <n>', 'at most this many rows', '50')
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ kind?: string; limit: string }>();
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new InputError({ path: '--limit', value: o.limit, expected: 'a positive integer, e.g. --limit 20' });
        const rows = listRotations(ctx.store(), { kind: o.kind, limit });
        ctx.output(rows, () =>
          rows.length === 0
            ? 'no rotations yet'
            : rows
                .map((r) => `#${r.id} ${r.kind}${r.subject ? ` ${r.subject}` : ''}  ${r.startedAt}  ${r.finishedAt ? (r.outcome ?? '?') : 'running or interrupted'}${r.detail && r.outcome !== 'ok' ? `  ${r.detail}` : ''}`)
                .join('\n'),
        );
      }),
    );
}
