/**
 * `privroute add-client NAME [--expires WHEN] [--dns IP,...] [--qr] [--out FILE]`:
 * add a WireGuard client, apply only its peer to the live interface, print its
 * wg-quick config (and QR). `--out x.conf` / `--out x.png` write the config / QR
 * image at 0600. With --json: the client (with its config text) as JSON.
 *
 * Needs an existing store (made by `privroute init`). If the gateway interface is
 * not reachable yet, the client is stored, the config printed, and a warning says
 * the peer is applied at the next `privroute init` (exit 0).
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { checkOut, clientService, printConfig, warn, writeOut } from '../client-support.js';

/** Register `add-client` on `program`. */
export function register(program: Command): void {
  program
    .command('add-client <name>')
    .description('add a WireGuard client and print its config (and QR)')
    .option('--expires <when>', 'expiry: a duration (12h, 30d, 2w), a date (2026-12-31) or an ISO date-time')
    .option('--dns <ips>', 'comma-separated DNS servers for this client (default: wireguard.dns, else the gateway)')
    .option('--qr', 'also print the config as a terminal QR code', false)
    .option('--out <file>', 'write the config (.conf) or its QR code (.png), mode 0600')
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0]!;
        const o = cmd.opts<{ expires?: string; dns?: string; qr: boolean; out?: string }>();
        const out = checkOut(o.out);
        const svc = clientService(ctx);
        const r = await svc.add(name, { expires: o.expires, dns: o.dns });
        if (out) await writeOut(out, r.configText);
        const c = r.client;
        if (ctx.opts.json) {
          ctx.output(
            { name: c.name, address4: c.address4, address6: c.address6, publicKey: c.publicKey, createdAt: c.createdAt, expiresAt: c.expiresAt, applied: r.applied, ...(r.warning ? { warning: r.warning } : {}), ...(out ? { out: out.file } : {}), config: r.configText },
            () => '',
          );
        } else {
          await printConfig(ctx, r.configText, o.qr);
        }
        warn(ctx, r.warning);
        if (out) ctx.io.err.write(`wrote ${out.file} (mode 0600)\n`);
      }),
    );
}
