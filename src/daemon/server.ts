/**
 * The daemon's HTTP endpoint (node:http): a route table behind one gate.
 *
 * The gate, for every request: a path no route knows is 404 only for an
 * authenticated caller (401 otherwise, so nothing is learned without a token);
 * a non-public route needs the bearer token or a dashboard session (401
 * otherwise, on loopback too); a state-changing (POST) non-public route also
 * needs the session's CSRF token (403 otherwise); a wrong method is 405. Every
 * response carries the CSP and the other security headers (http.ts).
 *
 * Limits (issue 11 #10): headers and the whole request must arrive within
 * ~10 s, at most `maxConnections` sockets are open at once (more are refused at
 * accept), and request bodies are capped (413).
 *
 * The status routes (/healthz, /status, /metrics) are here; the dashboard's
 * are in web/routes.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, json, send, sendError } from './http.js';
import type { Auth, Principal } from './web/auth.js';

/** What the status routes read (all cheap: the daemon keeps them current). */
export interface StatusSource {
  /** Did the last health run converge? */
  healthy(): { ok: boolean; detail: string };
  /** The status document, or null before the first health run. */
  status(): unknown;
  metrics(): Promise<{ body: string; contentType: string }>;
}

/** The endpoint's resource limits. */
export interface ServerLimits {
  /** Time allowed for the request headers (ms). */
  headersTimeoutMs: number;
  /** Time allowed for the whole request, body included (ms). */
  requestTimeoutMs: number;
  /** Open sockets at once; further connections are closed at accept. */
  maxConnections: number;
  /** Largest request body accepted (bytes). */
  maxBodyBytes: number;
}

/** Defaults: 10 s for headers and request, 64 sockets, 16 KiB bodies (the largest real body is an add-client form). */
export const DEFAULT_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: 64, maxBodyBytes: 16 * 1024 };

/** What a route handler gets besides req/res. */
export interface RouteContext {
  /** The matched path's capture groups (decoded). */
  params: string[];
  /** null only on public routes. */
  principal: Principal | null;
  limits: ServerLimits;
}

/** One route: method, path (exact or a regex over the whole path), handler. */
export interface Route {
  method: 'GET' | 'POST';
  path: string | RegExp;
  /** Reachable without a token or session (the login form and its stylesheet only). */
  public?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void>;
}

/** A running server. */
export interface StatusServer {
  address: AddressInfo;
  /** The node server (its limits are inspectable). */
  server: Server;
  close(): Promise<void>;
}

/** Options of {@link startStatusServer}. */
export interface ServerOptions {
  host: string;
  port: number;
  auth: Auth;
  routes: Route[];
  limits?: Partial<ServerLimits>;
  /** Renders the 401 (the dashboard shows its login form to browsers); default JSON. */
  unauthorized?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** /healthz, /status and /metrics (GET; token or session required like everything else). */
export function statusRoutes(src: StatusSource): Route[] {
  return [
    { method: 'GET', path: '/healthz', handle: async (_q, res) => {
      const h = src.healthy();
      send(res, h.ok ? 200 : 503, json({ ok: h.ok, detail: h.detail }));
    } },
    { method: 'GET', path: '/status', handle: async (_q, res) => {
      const s = src.status();
      if (s === null) sendError(res, 503, 'no status yet: the first health run has not finished');
      else send(res, 200, json(s));
    } },
    { method: 'GET', path: '/metrics', handle: async (_q, res) => {
      const m = await src.metrics();
      send(res, 200, m.body, m.contentType);
    } },
  ];
}

function match(r: Route, path: string): string[] | null {
  if (typeof r.path === 'string') return r.path === path ? [] : null;
  const m = r.path.exec(path);
  return m && m[0] === path ? m.slice(1).map((x) => decodeURIComponent(x ?? '')) : null;
}

function defaultUnauthorized(_req: IncomingMessage, res: ServerResponse): void {
  sendError(res, 401, 'a bearer token or a dashboard session is required', { 'www-authenticate': 'Bearer' });
}

/** Route one request through the gate (see the module comment). */
export async function dispatch(req: IncomingMessage, res: ServerResponse, o: ServerOptions, limits: ServerLimits): Promise<void> {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return sendError(res, 400, 'malformed request target');
  }
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const candidates = o.routes.map((r) => ({ r, params: match(r, path) })).filter((x) => x.params !== null);
  const hit = candidates.find((x) => x.r.method === method);
  const principal = o.auth.principal(req);
  if (hit?.r.public) return hit.r.handle(req, res, { params: hit.params!, principal, limits });
  if (!principal) return (o.unauthorized ?? defaultUnauthorized)(req, res);
  if (!candidates.length) return sendError(res, 404, 'not found');
  if (!hit) return sendError(res, 405, 'method not allowed', { allow: [...new Set(candidates.map((x) => x.r.method))].join(', ') });
  if (hit.r.method === 'POST' && !o.auth.csrfOk(principal, req)) return sendError(res, 403, 'missing or wrong CSRF token (x-csrf-token header) or foreign Origin');
  return hit.r.handle(req, res, { params: hit.params!, principal, limits });
}

/** Listen on host:port (port 0 = any free port) with the limits. */
export function startStatusServer(o: ServerOptions): Promise<StatusServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const server: Server = createServer(
    // Node checks header/request timeouts only every connectionsCheckingInterval (default 30 s).
    { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) },
    (req, res) => {
      dispatch(req, res, o, limits).catch((e) => {
        if (res.headersSent) return void res.destroy();
        if (e instanceof HttpError) {
          // A refused body is not drained: close the connection after the answer.
          if (e.status === 413) res.setHeader('connection', 'close');
          return sendError(res, e.status, e.message, e.headers);
        }
        sendError(res, 500, (e as Error).message);
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        server,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
