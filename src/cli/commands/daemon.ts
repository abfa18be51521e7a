/**
 * `privroute daemon [--listen host:port] [--warp-trace-url url]`: run the
 * scheduler (health repair, rotations, client expiry; one job at a time) and the
 * status endpoint until SIGTERM/SIGINT, then stop gracefully (the running job
 * finishes, the server closes). Needs an initialized store (`privroute init`).
 */
import type { Command } from 'commander';
import { parseListen, startDaemon } from '../../daemon/daemon.js';
import { lockWaitMs } from '../../state/lock.js';
import { InputError } from '../../core/errors.js';
import { checkWarpTraceUrl } from './status.js';
import { createLogger } from '../../core/logger.js';
import { action } from '../context.js';

/** Register `daemon` on `program`. */
export function register(program: Command): void {
  program
    .command('daemon')
    .description('run the scheduler (repair, rotations, client expiry) and the status endpoint until SIGTERM')
    .option('--listen <host:port>', 'override daemon.listen')
    .option('--warp-trace-url <url>', 'trace page probed through the WARP tunnel by the health job')
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ listen?: string; warpTraceUrl?: string }>();
        const config = ctx.config;
        const store = ctx.store();
        // A long-running process logs at info by default (the CLI's default is warn).
        const logger = createLogger({ level: ctx.opts.logLevel ?? ctx.io.env.PRIVROUTE_LOG_LEVEL ?? 'info', destination: ctx.io.err });
        const d = await startDaemon({ config, store, logger, listen: o.listen, warpTraceUrl: o.warpTraceUrl ?? ctx.io.env.PRIVROUTE_WARP_TRACE_URL, lockWaitMs: lockWaitMs(ctx.io.env) });
        const a = d.server.address;
        ctx.io.err.write(`privroute daemon: listening on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}\n`);
        await new Promise<void>((resolve) => {
          const onSignal = (sig: NodeJS.Signals) => {
            process.off('SIGTERM', onSignal);
            process.off('SIGINT', onSignal);
            logger.info({ signal: sig }, 'stopping');
            d.stop().then(resolve, (e) => {
              logger.error({ err: e }, 'stop failed');
              resolve();
            });
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
      }, {
        validate: (cmd) => {
          const o = cmd.opts<{ listen?: string; warpTraceUrl?: string }>();
          if (o.listen !== undefined && !parseListen(o.listen)) throw new InputError({ path: '--listen', value: o.listen, expected: 'host:port, e.g. 127.0.0.1:9477' });
          checkWarpTraceUrl(o.warpTraceUrl);
        },
      }),
    );
}
