/**
 * `privroute list-clients [--json]`: name, address, created, expires, enabled,
 * last handshake and rx/tx (live columns when the interface is reachable; a
 * warning on stderr otherwise).
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { clientService, warn } from '../client-support.js';
import type { ClientView } from '../../tunnel/clients.js';

function bytes(n: number | null): string {
  if (n === null) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${i === 0 ? v : v.toFixed(1)} ${u[i]}`;
}

function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : s < 172800 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86400)}d ago`;
}

/** Render the human table (pure). */
export function clientTable(rows: readonly ClientView[], now = Date.now()): string {
  const head = ['NAME', 'ADDRESS', 'CREATED', 'EXPIRES', 'STATE', 'HANDSHAKE', 'RX', 'TX'];
  const body = rows.map((c) => [
    c.name,
    c.address6 ? `${c.address4}, ${c.address6}` : c.address4,
    c.createdAt.slice(0, 10),
    c.expiresAt ? c.expiresAt.slice(0, 16).replace('T', ' ') : '-',
    c.expired ? 'expired' : c.enabled ? (c.live === false ? 'enabled (not live)' : 'enabled') : 'disabled',
    c.live === null ? '?' : ago(c.lastHandshake, now),
    bytes(c.rxBytes),
    bytes(c.txBytes),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((x, i) => x.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

/** Register `list-clients` on `program`. */
export function register(program: Command): void {
  program
    .command('list-clients')
    .description('list WireGuard clients')
    .action(
      action(async (ctx) => {
        const r = await clientService(ctx).list();
        ctx.output({ device: r.device, clients: r.clients }, () => (r.clients.length ? clientTable(r.clients) : 'no clients (add one with: privroute add-client NAME)'));
        warn(ctx, r.warning);
      }),
    );
}
