/**
 * `privroute show-client NAME [--qr] [--out FILE]`: print a stored client's
 * wg-quick config (and QR), or with --json its status and config.
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { checkOut, clientService, printConfig, warn, writeOut } from '../client-support.js';

/** Register `show-client` on `program`. */
export function register(program: Command): void {
  program
    .command('show-client <name>')
    .description('print a client config (and QR)')
    .option('--qr', 'also print the config as a terminal QR code', false)
    .option('--out <file>', 'write the config (.conf) or its QR code (.png), mode 0600')
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0]!;
        const o = cmd.opts<{ qr: boolean; out?: string }>();
        const out = checkOut(o.out);
        const svc = clientService(ctx);
        const c = svc.get(name);
        const text = await svc.configOf(c);
        if (out) await writeOut(out, text);
        if (ctx.opts.json) {
          const l = await svc.list();
          const view = l.clients.find((x) => x.name === name);
          ctx.output({ ...view, config: text }, () => '');
          warn(ctx, l.warning);
        } else await printConfig(ctx, text, o.qr);
        if (out) ctx.io.err.write(`wrote ${out.file} (mode 0600)\n`);
      }),
    );
}
