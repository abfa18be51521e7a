/**
 * `privroute list-clients [--json]`: name, address, created, expires, enabled,
 * last handshake and rx/tx (live columns when the interface is reachable; a
 * warning on stderr otherwise). A client whose keys outlived their lifetime
 * (`rotate-client --key-lifetime`) is flagged "keys due" (JSON: keyDue); one whose
 * config was rendered with an endpoint no longer in force (wireguard.endpoint
 * changed, or under `auto` the uplink's address did) "old endpoint X" (JSON: endpointOld).
 */
import type { Command } from 'commander';
import { action } from '../context.js';
import { clientService, warn } from '../client-support.js';
import type { ClientView } from '../../tunnel/clients.js';
import { keyAges, keyDue } from '../../rotation/client-keys.js';

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

/** True when the client was handed an endpoint that is no longer the one in force (pure; unknown = false). */
export function oldEndpoint(held: string | null | undefined, current: string | null): boolean {
  return !!held && !!current && held !== current;
}

/** Render the human table (pure). */
export function clientTable(rows: readonly (ClientView & { keyDue?: boolean; endpointOld?: boolean })[], now = Date.now()): string {
  const head = ['NAME', 'ADDRESS', 'CREATED', 'EXPIRES', 'STATE', 'HANDSHAKE', 'RX', 'TX'];
  const body = rows.map((c) => [
    c.name,
    c.address6 ? `${c.address4}, ${c.address6}` : c.address4,
    c.createdAt.slice(0, 10),
    c.expiresAt ? c.expiresAt.slice(0, 16).replace('T', ' ') : '-',
    (c.expired ? 'expired' : c.enabled ? (c.live === false ? 'enabled (not live)' : 'enabled') : 'disabled') + (c.keyDue ? ', keys due' : '') + (c.endpointOld ? `, old endpoint ${c.endpoint}` : ''),
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
        const svc = clientService(ctx);
        const r = await svc.list();
        const ages = keyAges(svc);
        const now = new Date();
        // The endpoint in force (auto: the uplink's address now); unresolvable is reported, not fatal here.
        const current = await svc.endpoint().then((e) => ({ endpoint: e, error: undefined }), (e: Error) => ({ endpoint: null, error: e.message }));
        const clients = r.clients.map((c) => ({
          ...c,
          keysAt: ages.get(c.name)?.keysAt ?? c.createdAt,
          keyDue: keyDue(ages.get(c.name), now),
          endpointOld: oldEndpoint(c.endpoint, current.endpoint),
        }));
        ctx.output({ device: r.device, endpoint: current.endpoint, clients }, () => (clients.length ? clientTable(clients) : 'no clients (add one with: privroute add-client NAME)'));
        warn(ctx, r.warning);
        if (current.error) warn(ctx, `endpoint in force unknown: ${current.error}`);
        const stale = clients.filter((c) => c.endpointOld);
        if (stale.length) warn(ctx, `${stale.length} client(s) hold an old endpoint (not ${current.endpoint}): re-send their config with "privroute show-client NAME"`);
      }),
    );
}
