/**
 * `privroute rotate-client <name> | --all [--dry-run] [--qr] [--out FILE] [--key-lifetime DUR|none]`:
 * a new key pair and preshared key for a client (addresses kept), the gateway's
 * peer swapped in one device change (the old key stops working at once), the
 * new config (and QR) printed. `--all` rotates every client with a progress line
 * per client on stderr and the configs on stdout, each after a `# client NAME`
 * line. `--key-lifetime 90d` records how long the new keys may live
 * (list-clients flags the client as due after it); `none` clears it.
 */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { rotateClientKeys, setKeyLifetime } from '../../rotation/client-keys.js';
import { checkOut, clientService, printConfig, warn, writeOut } from '../client-support.js';
import { validateClientName } from '../../tunnel/validate.js';
import { action } from '../context.js';

const LIFETIME = /^(\d+)(h|d|w)$/;

/** `--key-lifetime`: seconds, null for `none`; InputError otherwise. Pure. */
export function parseKeyLifetime(v: string): number | null {
  if (v === 'none') return null;
  const m = LIFETIME.exec(v);
  if (!m || Number(m[1]) === 0) throw new InputError({ path: '--key-lifetime', value: v, expected: 'a positive duration like 12h, 90d, 12w, or none' });
  return Number(m[1]) * { h: 3600, d: 86400, w: 7 * 86400 }[m[2] as 'h' | 'd' | 'w'];
}

/** Register `rotate-client` on `program`. */
export function register(program: Command): void {
  program
    .command('rotate-client [name]')
    .description('new key pair + preshared key for a client (or --all); prints the new config')
    .option('--all', 'rotate every client', false)
    .option('--dry-run', 'print what would be rotated; change nothing', false)
    .option('--qr', 'also print the config as a terminal QR code', false)
    .option('--out <file>', 'write the config (.conf) or its QR code (.png), mode 0600 (one client only)')
    .option('--key-lifetime <dur>', 'how long the new keys may live before list-clients flags them (12h, 90d, 12w, none)')
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0];
        const o = cmd.opts<{ all: boolean; dryRun: boolean; qr: boolean; out?: string; keyLifetime?: string }>();
        // Everything validated before anything changes.
        if (!!name === o.all) throw new InputError({ path: 'rotate-client', value: name ?? '(none)', expected: 'exactly one of: a client name, or --all' });
        if (name) validateClientName(name);
        if (o.all && o.out) throw new InputError({ path: '--out', value: o.out, expected: 'no --out with --all (the configs go to stdout)' });
        const lifetime = o.keyLifetime !== undefined ? parseKeyLifetime(o.keyLifetime) : undefined;
        const out = checkOut(o.out);
        const svc = clientService(ctx);
        const names = name ? [svc.get(name).name] : (await svc.list()).clients.map((c) => c.name);
        if (o.dryRun) {
          const steps = names.map((n) => `${n}: new key pair + preshared key, same address; the gateway peer swapped in one change (old key refused at once)`);
          ctx.output({ dryRun: true, clients: names, steps }, () => ['dry run: `privroute rotate-client` would rotate', ...steps.map((s) => `  - ${s}`), 'nothing was changed'].join('\n'));
          return;
        }
        const results = [];
        for (const [i, n] of names.entries()) {
          const r = await rotateClientKeys(svc, n);
          if (lifetime !== undefined) setKeyLifetime(svc, n, lifetime);
          results.push(r);
          if (o.all) ctx.io.err.write(`[${i + 1}/${names.length}] ${n}: rotated (${r.applied})\n`);
          if (out) await writeOut(out, r.configText);
          if (!ctx.opts.json) {
            if (o.all) ctx.io.out.write(`# client ${n}\n`);
            await printConfig(ctx, r.configText, o.qr);
          }
          warn(ctx, r.warning);
        }
        if (ctx.opts.json) ctx.output(results.map((r) => ({ name: r.name, address4: r.address4, address6: r.address6, publicKey: r.publicKey, oldPublicKey: r.oldPublicKey, applied: r.applied, rotationId: r.rotationId, config: r.configText })), () => '');
        if (out) ctx.io.err.write(`wrote ${out.file} (mode 0600)\n`);
      }, { lock: (cmd) => !cmd.opts<{ dryRun: boolean }>().dryRun }), // never interleaves with the daemon or another CLI
    );
}
