/**
 * The daemon's status endpoint (node:http):
 *   GET /healthz  200 if the last health run converged, else 503 (no token needed);
 *   GET /status   the last status JSON (503 until the first health run);
 *   GET /metrics  Prometheus exposition.
 * With a token, /status and /metrics need `Authorization: Bearer <token>` (401
 * otherwise). Anything else: 404; non-GET: 405. Read-only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactDeep } from '../core/redact.js';
import { bearerMatches } from './token.js';

/** What the server reads (all cheap: the daemon keeps them current). */
export interface StatusSource {
  /** Did the last health run converge? null = none yet. */
  healthy(): { ok: boolean; detail: string };
  /** The status document, or null before the first health run. */
  status(): unknown;
  metrics(): Promise<{ body: string; contentType: string }>;
}

/** A running status server. */
export interface StatusServer {
  address: AddressInfo;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, body: string, type = 'application/json'): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

// Every JSON body (status, errors) passes the one redaction before it is serialized (escaped text is not safe to scrub).
const json = (v: unknown) => JSON.stringify(redactDeep(v), (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

/** Handle one request (exported for tests without a socket). */
export async function handle(req: IncomingMessage, res: ServerResponse, src: StatusSource, token: string | null): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, json({ error: 'method not allowed' }));
  if (path === '/healthz') {
    const h = src.healthy();
    return send(res, h.ok ? 200 : 503, json({ ok: h.ok, detail: h.detail }));
  }
  if (path !== '/status' && path !== '/metrics') return send(res, 404, json({ error: 'not found' }));
  if (token !== null && !bearerMatches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer');
    return send(res, 401, json({ error: 'a bearer token is required' }));
  }
  if (path === '/metrics') {
    const m = await src.metrics();
    return send(res, 200, m.body, m.contentType);
  }
  const s = src.status();
  return s === null ? send(res, 503, json({ error: 'no status yet: the first health run has not finished' })) : send(res, 200, json(s));
}

/** Listen on host:port (port 0 = any free port). */
export function startStatusServer(src: StatusSource, o: { host: string; port: number; token: string | null }): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, src, o.token).catch((e) => {
      if (!res.headersSent) send(res, 500, json({ error: (e as Error).message }));
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
