/**
 * `privroute status [--json] [--warp-trace-url <url>]`: honest health of every
 * hop of the chain (ovs, flows + protections, gateway, warp, xray, netmaker),
 * read-only. Exit 0 when every hop is ok, 1 otherwise (the report is printed
 * either way; with --json it is the data on stdout).
 */
import type { Command } from 'commander';
import { InputError, OperationError } from '../../core/errors.js';
import { collectStatus, renderStatus } from '../../health/status.js';
import { applianceContext } from '../../appliance/context.js';
import { action } from '../context.js';

/** Check `--warp-trace-url`: an http(s) URL (InputError, exit 2). */
export function checkWarpTraceUrl(v: string | undefined): void {
  if (v === undefined) return;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError({ path: '--warp-trace-url', value: v, expected: 'an http:// or https:// URL of a trace page, e.g. https://www.cloudflare.com/cdn-cgi/trace' });
}

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
          throw new OperationError('status', `unhealthy: ${s.hops.filter((h) => !h.ok).map((h) => h.hop).join(', ')}`, { hint: 'see the FAIL lines; `privroute init` repairs what it owns', reported: true });
        }
      }, { validate: (cmd) => checkWarpTraceUrl(cmd.opts<{ warpTraceUrl?: string }>().warpTraceUrl) }),
    );
}
