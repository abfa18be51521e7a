/**
 * `privroute status [--json] [--warp-trace-url <url>]`: honest health of every
 * hop of the chain (ovs, flows + protections, gateway, warp, xray, netmaker),
 * read-only. Exit 0 when every hop is ok, 1 otherwise (the report is printed
 * either way; with --json it is the data on stdout).
 */
import type { Command } from 'commander';
import { OperationError } from '../../core/errors.js';
import { collectStatus, renderStatus } from '../../health/status.js';
import { applianceContext } from '../../appliance/context.js';
import { action } from '../context.js';

/** Register `status` on `program`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('health of every hop of the chain (read-only; exit 1 if any hop is unhealthy)')
    .option('--warp-trace-url <url>', 'trace page probed through the WARP tunnel (default Cloudflare\'s /cdn-cgi/trace)')
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ warpTraceUrl?: string }>();
        const config = ctx.config;
        const ic = applianceContext(config, ctx.store(), ctx.logger);
        const s = await collectStatus(ic, { warpTraceUrl: o.warpTraceUrl ?? ctx.io.env.PRIVROUTE_WARP_TRACE_URL });
        ctx.output(s, () => renderStatus(s));
        if (!s.ok) {
          // Exit 1 without repeating the report: the hops that failed are named.
          throw new OperationError('status', `unhealthy: ${s.hops.filter((h) => !h.ok).map((h) => h.hop).join(', ')}`, { hint: 'see the FAIL lines; `privroute init` repairs what it owns' });
        }
      }),
    );
}
