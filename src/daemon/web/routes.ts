/**
 * The dashboard's routes (the gate in ../server.ts enforces the token/session
 * and CSRF before any non-public handler here runs):
 *   GET  /                         the page (unauthenticated: the login form, 401)
 *   POST /login                    token + pre-session CSRF -> session cookie (public, rate-limited)
 *   GET  /assets/style.css         the stylesheet (public: the login form needs it)
 *   GET  /assets/<name>.js         the page's scripts
 *   GET  /api/state                everything the page draws (polled every 2 s)
 *   GET  /api/clients/<n>/config   a client's wg-quick config (a secret: on click only)
 *   GET  /api/clients/<n>/qr.png   its QR code, rendered here with the CLI's library
 *   POST /api/clients              add {name, expires?, dns?}
 *   POST /api/clients/<n>/<op>     disable | enable | revoke
 *   POST /api/repair               run the health (repair) job now
 *   POST /api/logout               end the session
 * Every response is no-store (http.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { InputError } from '../../core/errors.js';
import type { StatusReport } from '../../health/types.js';
import type { ClientView } from '../../tunnel/clients.js';
import { qrPng } from '../../tunnel/qr.js';
import { cookie, HttpError, json, parseCookies, readBody, send, sendError } from '../http.js';
import type { JobRecord } from '../scheduler.js';
import type { Route, RouteContext } from '../server.js';
import type { ClientActions, ClientOp } from './actions.js';
import { readAsset } from './assets.js';
import { LOGIN_COOKIE, SESSION_COOKIE, randomToken, secretEquals, type Auth } from './auth.js';
import { chainView } from './chain.js';
import type { LiveMonitor } from './live.js';
import { appPage, loginPage } from './page.js';

/** What the dashboard reads and drives. */
export interface DashboardDeps {
  auth: Auth;
  live: LiveMonitor;
  actions: ClientActions;
  /** The newest status (scheduled health run or live probe). */
  status(): StatusReport | null;
  clients(): Promise<{ clients: ClientView[]; device: string; warning?: string }>;
  /** A client's config text (InputError for an unknown name). */
  clientConfig(name: string): Promise<string>;
  jobs(): JobRecord[];
  nextRun(job: string): Date | null;
  repair(): void;
  logger: Logger;
}

const remote = (req: IncomingMessage): string => req.socket.remoteAddress ?? '?';

/** The 401 answer: browsers asking for a page get the login form (and its CSRF cookie), everything else JSON. */
export function unauthorized(req: IncomingMessage, res: ServerResponse, error?: string, code = 401, headers: Record<string, string> = {}): void {
  const wantsHtml = req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '') || req.method === 'POST' && req.url === '/login';
  if (!wantsHtml) return sendError(res, code, 'a bearer token or a dashboard session is required', { 'www-authenticate': 'Bearer', ...headers });
  const csrf = randomToken();
  send(res, code, loginPage({ csrf, error }), 'text/html; charset=utf-8', { 'set-cookie': cookie(LOGIN_COOKIE, csrf, 3600), ...headers });
}

async function jsonBody(req: IncomingMessage, ctx: RouteContext): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send application/json');
  const raw = (await readBody(req, ctx.limits.maxBodyBytes)).toString('utf8');
  try {
    const v = JSON.parse(raw || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through: answered below
  }
  throw new HttpError(400, 'the body must be a JSON object');
}

const optStr = (v: unknown, key: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `${key} must be a string`);
  return v;
};

/** Run a handler; bad input (InputError) is a 400 with its message, not a 500. */
async function guarded(res: ServerResponse, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof InputError) return sendError(res, 400, e.message);
    throw e;
  }
}

const who = (ctx: RouteContext, req: IncomingMessage) => ({ via: ctx.principal?.via ?? '?', remote: remote(req) });

/** The dashboard's routes over `d`. */
export function dashboardRoutes(d: DashboardDeps): Route[] {
  const login: Route = {
    method: 'POST', path: '/login', public: true,
    async handle(req, res, ctx) {
      const addr = remote(req);
      const wait = d.auth.retryAfter(addr);
      if (wait > 0) return unauthorized(req, res, `Too many failed sign-ins: try again in ${wait} s.`, 429, { 'retry-after': String(wait) });
      const origin = req.headers.origin;
      const form = new URLSearchParams((await readBody(req, ctx.limits.maxBodyBytes)).toString('utf8'));
      const pre = parseCookies(req.headers.cookie).get(LOGIN_COOKIE) ?? '';
      const sameOrigin = origin === undefined || origin === `http://${req.headers.host ?? ''}`;
      if (!sameOrigin || !pre || !secretEquals(form.get('csrf') ?? '', pre)) return unauthorized(req, res, 'The form expired: sign in again.', 403);
      const s = d.auth.login(addr, form.get('token') ?? '');
      if (!s) {
        d.logger.warn({ remote: addr }, 'dashboard sign-in refused (wrong token)');
        return unauthorized(req, res, 'Wrong token.');
      }
      d.logger.info({ remote: addr }, 'dashboard sign-in');
      send(res, 303, '', 'text/plain', { location: '/', 'set-cookie': [cookie(SESSION_COOKIE, s.id, d.auth.sessionTtlSec), cookie(LOGIN_COOKIE, '', 0)] });
    },
  };
  const asset = (pub: boolean): Route => ({
    method: 'GET', path: pub ? /\/assets\/([a-z0-9-]+\.css)/ : /\/assets\/([a-z0-9-]+\.js)/, public: pub,
    async handle(_req, res, ctx) {
      const a = await readAsset(ctx.params[0]!);
      if (!a) return sendError(res, 404, pub ? 'not found' : 'not found (build the page scripts: npm run build)');
      send(res, 200, a.body, a.type);
    },
  });
  const clientOp: Route = {
    method: 'POST', path: /\/api\/clients\/([^/]+)\/(disable|enable|revoke)/,
    handle: (req, res, ctx) => guarded(res, async () => {
      const r = await d.actions.run(ctx.params[1] as ClientOp, ctx.params[0]!, who(ctx, req));
      send(res, 200, json(r));
    }),
  };
  return [
    login, asset(true), asset(false), clientOp,
    { method: 'GET', path: '/', handle: async (_req, res, ctx) => {
      const csrf = ctx.principal?.via === 'session' ? ctx.principal.session.csrf : '';
      send(res, 200, appPage({ csrf }), 'text/html; charset=utf-8');
    } },
    { method: 'GET', path: '/api/state', handle: async (_req, res) => {
      d.live.viewed();
      const s = d.status();
      const c = await d.clients().catch((e: Error) => ({ clients: [] as ClientView[], device: 'unreachable', warning: e.message }));
      const jobs = d.jobs().map((j) => ({ name: j.name, cron: j.cron, running: j.running, lastEnd: j.lastEnd, lastSuccess: j.lastSuccess, lastOutcome: j.lastOutcome, lastError: j.lastError, next: d.nextRun(j.name)?.toISOString() ?? null }));
      const warp = s?.hops.find((h) => h.hop === 'warp');
      send(res, 200, json({
        at: new Date().toISOString(),
        status: s && { ok: s.ok, at: s.at, hops: s.hops.map((h) => ({ hop: h.hop, ok: h.ok, detail: h.detail })), protections: s.protections, macRotation: s.capabilities.macRotation },
        chain: chainView(s),
        exit: { address: (warp?.data?.egressIp as string | null | undefined) ?? null, probe: 'WARP trace probe', at: s?.at ?? null },
        jobs, clients: c, audit: d.actions.recent(),
        traffic: { clients: d.live.history.snapshot('client:'), hops: d.live.history.snapshot('hop:') },
      }));
    } },
    { method: 'GET', path: /\/api\/clients\/([^/]+)\/config/, handle: (_req, res, ctx) => guarded(res, async () => {
      send(res, 200, await d.clientConfig(ctx.params[0]!), 'text/plain; charset=utf-8');
    }) },
    { method: 'GET', path: /\/api\/clients\/([^/]+)\/qr\.png/, handle: (_req, res, ctx) => guarded(res, async () => {
      send(res, 200, await qrPng(await d.clientConfig(ctx.params[0]!)), 'image/png');
    }) },
    { method: 'POST', path: '/api/clients', handle: (req, res, ctx) => guarded(res, async () => {
      const b = await jsonBody(req, ctx);
      const name = optStr(b.name, 'name');
      if (!name) throw new HttpError(400, 'name is required');
      const r = await d.actions.run('add', name, who(ctx, req), { expires: optStr(b.expires, 'expires'), dns: optStr(b.dns, 'dns') });
      send(res, 200, json(r));
    }) },
    { method: 'POST', path: '/api/repair', handle: async (req, res, ctx) => {
      // The scheduler drops a trigger while the job runs; a run that began before the fault may not fix it: say so.
      if (d.jobs().find((j) => j.name === 'health')?.running) return sendError(res, 409, 'a repair (health run) is already running: wait for it to end, then run it again');
      d.logger.info({ via: ctx.principal?.via, remote: remote(req) }, 'repair requested from the dashboard');
      d.repair();
      send(res, 202, json({ started: 'health' }));
    } },
    { method: 'POST', path: '/api/logout', handle: async (_req, res, ctx) => {
      if (ctx.principal?.via === 'session') d.auth.logout(ctx.principal.session);
      send(res, 200, json({ ok: true }), 'application/json', { 'set-cookie': cookie(SESSION_COOKIE, '', 0) });
    } },
  ];
}
