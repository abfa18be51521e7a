/**
 * HTTP primitives of the daemon's endpoint (status API and dashboard): the
 * security headers every response carries, response helpers, a size-limited
 * body reader and cookie parsing. No routing and no auth here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Content-Security-Policy of every response: only this origin's scripts,
 * styles, images and fetches; no inline script or style (no 'unsafe-inline'),
 * no framing, no plugins, forms post only here.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers set on every response, whatever its status. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on same-origin form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** An error with the HTTP status to answer (thrown by readers/handlers, rendered by the server). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Write a complete response. Every response is `no-store` (status, configs and
 * QR codes are secrets or go stale; static assets are tiny) and carries the
 * security headers.
 */
export function send(res: ServerResponse, code: number, body: string | Buffer, type = 'application/json', headers: Record<string, string | string[]> = {}): void {
  res.writeHead(code, { ...SECURITY_HEADERS, 'cache-control': 'no-store', 'content-type': type, ...headers });
  res.end(body);
}

/** JSON text (bigints as strings), newline-terminated. */
export const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

/** Answer a JSON error `{ error }`. */
export function sendError(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}): void {
  send(res, code, json({ error: message }), 'application/json', headers);
}

/**
 * Read the request body, refusing more than `limit` bytes: a declared
 * Content-Length over the limit is refused before reading (413), and a body
 * that grows past it while streaming is cut off (413). Resolves with the bytes.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new HttpError(413, `request body over ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > limit) {
        done = true;
        // Stop buffering; the server answers 413 and closes the connection.
        req.pause();
        reject(new HttpError(413, `request body over ${limit} bytes`));
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(parts));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}

/** The request's cookies (name -> value); malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !out.has(k)) out.set(k, v);
  }
  return out;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/; `maxAgeSec` 0 clears it. */
export function cookie(name: string, value: string, maxAgeSec: number): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}`;
}
