/**
 * HTTPS transport for the WARP device API: TLS 1.2 only, HTTP/1.1, wgcf's headers,
 * bounded retries with exponential backoff + full jitter, honouring Retry-After.
 *
 * Why TLS 1.2 pinned both ways: wgcf documents that the API answers other TLS
 * stacks with 403 / error 1020, and a TLS 1.3-only server must be refused rather
 * than silently negotiated (see shared/reference/warp-api.md, "Transport").
 *
 * Errors are OperationError('warp-api', ...): one message with the method, path,
 * how many tries were made and the last status. Nothing here touches the store,
 * so a failed call leaves no partial state behind.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { OperationError } from '../core/errors.js';

/** The headers wgcf sends (okhttp on Android). */
export const WGCF_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'User-Agent': 'okhttp/3.12.1',
  'CF-Client-Version': 'a-6.3-1922',
});

/** Transport options. Everything has a default except `baseUrl`. */
export interface WarpHttpOptions {
  /** Base URL including the version segment, e.g. `https://api.cloudflareclient.com/v0a1922`. */
  baseUrl: string;
  /** PEM file of an extra CA to trust (the lab stand-in's CA). Replaces the default store for this agent. */
  caFile?: string | null;
  /** PEM text of an extra CA (tests); wins over caFile. */
  ca?: string | Buffer;
  /** Total attempts for retryable failures (429, 5xx, connection errors). Default 5. */
  attempts?: number;
  /** First backoff in ms; doubles per try (full jitter). Default 1000. Injectable so tests do not sleep. */
  baseDelayMs?: number;
  /** Backoff ceiling in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Largest Retry-After honoured, ms; a longer one ends the retries. Default 120 000. */
  maxRetryAfterMs?: number;
  /** Per-request timeout in ms. Default 15 000. */
  timeoutMs?: number;
  /** Injectable sleep (tests record the delays instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable random in [0,1) for the jitter. */
  random?: () => number;
  logger?: Logger;
}

/** One decoded response. `json` is undefined for an empty body (204, DELETE). */
export interface WarpResponse {
  status: number;
  json: unknown;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Parse a Retry-After header (delta-seconds or HTTP-date) into ms from `now`.
 * Returns undefined when absent or unparseable.
 */
export function parseRetryAfter(v: string | string[] | undefined, now = Date.now()): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(s)) return Number(s.trim()) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Retryable statuses: rate limiting and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** The WARP API transport. Safe to share; holds one keep-alive-less TLS 1.2 agent. */
export class WarpHttp {
  readonly baseUrl: URL;
  private readonly agent: https.Agent;
  private readonly o: Required<Omit<WarpHttpOptions, 'caFile' | 'ca' | 'logger'>> & { logger?: Logger };

  constructor(opts: WarpHttpOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl.replace(/\/+$/, ''));
    } catch (e) {
      throw new OperationError('warp-api', `base URL ${JSON.stringify(opts.baseUrl)} is not a URL`, { cause: e, hint: 'set warp.api_base to https://api.cloudflareclient.com/v0a1922' });
    }
    if (base.protocol !== 'https:') {
      throw new OperationError('warp-api', `base URL ${base.href} must be https`, { hint: 'set warp.api_base to an https:// URL' });
    }
    this.baseUrl = base;
    const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile) : undefined);
    // TLS 1.2 both as minimum and maximum; HTTP/1.1 is what node's https speaks.
    this.agent = new https.Agent({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', keepAlive: false, ...(ca ? { ca } : {}) });
    this.o = {
      baseUrl: opts.baseUrl,
      attempts: Math.max(1, opts.attempts ?? 5),
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 30_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 120_000,
      timeoutMs: opts.timeoutMs ?? 15_000,
      sleep: opts.sleep ?? realSleep,
      random: opts.random ?? Math.random,
      logger: opts.logger,
    };
  }

  /** Release sockets (the agent keeps none alive, but be explicit). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Call `method path` (path below the base, e.g. `/reg/<id>`), with an optional
   * JSON body and bearer token. Retries 429/5xx/connection errors; resolves with the
   * status and the parsed JSON for any 2xx; rejects with OperationError otherwise.
   */
  async request(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<WarpResponse> {
    const what = `${method} ${path.replace(/\/reg\/[^/]+/g, '/reg/<id>')}`;
    let last = '';
    let tries = 0;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      tries = attempt;
      let res: RawResponse;
      try {
        res = await this.once(method, path, opts);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (isTlsError(err)) {
          throw new OperationError('warp-api', `${what}: TLS 1.2 handshake with ${this.baseUrl.host} failed: ${err.message}`, {
            cause: e,
            hint: 'the WARP API is spoken over TLS 1.2 only; check warp.api_base, warp.api_ca_file, and that nothing in the path forces TLS 1.3',
          });
        }
        last = `connection error ${err.code ?? err.message}`;
        this.o.logger?.warn({ attempt, call: what, error: last }, 'warp api call failed; will retry');
        if (attempt < this.o.attempts) await this.o.sleep(this.backoff(attempt));
        continue;
      }
      if (res.status >= 200 && res.status < 300) return { status: res.status, json: parseJson(what, res) };
      last = `HTTP ${res.status}${errorDetail(res.body)}`;
      if (!isRetryableStatus(res.status)) throw statusError(what, res, last);
      const ra = parseRetryAfter(res.headers['retry-after']);
      if (ra !== undefined && ra > this.o.maxRetryAfterMs) {
        throw new OperationError('warp-api', `${what} failed after ${attempt} ${plural(attempt)}; last status ${last}; Retry-After ${Math.round(ra / 1000)} s exceeds the ${Math.round(this.o.maxRetryAfterMs / 1000)} s limit`, {
          hint: 'the API is rate limiting this host; try again later (the daemon retries on its next schedule)',
        });
      }
      this.o.logger?.warn({ attempt, call: what, status: res.status, retryAfterMs: ra }, 'warp api call retryable failure');
      if (attempt < this.o.attempts) await this.o.sleep(ra ?? this.backoff(attempt));
    }
    throw new OperationError('warp-api', `${what} failed after ${tries} ${plural(tries)}; last status ${last}`, {
      hint: last.startsWith('HTTP 429')
        ? 'the API is rate limiting registrations from this address; wait and retry (privroute rotate warp), or lower the rotation frequency'
        : 'the API or the path to it is failing; check connectivity to warp.api_base and retry later',
    });
  }

  /** Full-jitter exponential backoff for retry number `attempt` (1-based). */
  backoff(attempt: number): number {
    const cap = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.o.random() * cap);
  }

  private once(method: string, path: string, opts: { body?: unknown; token?: string }): Promise<RawResponse> {
    const url = new URL(this.baseUrl.href + path);
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...WGCF_HEADERS, 'Content-Type': 'application/json', Accept: 'application/json' };
    if (body) headers['Content-Length'] = String(body.length);
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, agent: this.agent, timeout: this.o.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no response within ${this.o.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

function plural(n: number): string {
  return n === 1 ? 'try' : 'tries';
}

function isTlsError(e: NodeJS.ErrnoException): boolean {
  const c = e.code ?? '';
  return c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS') || c.includes('CERT') || c === 'EPROTO' || /SSL routines|alert protocol version/i.test(e.message);
}

/** Cloudflare's error shape: `{success:false, errors:[{code, message}]}`; returns ` (code: message)` or ''. */
function errorDetail(body: string): string {
  try {
    const j = JSON.parse(body) as { errors?: { code?: number; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return ` (${e.code ?? '?'}: ${String(e.message ?? '').slice(0, 200)})`;
  } catch {
    /* not JSON: no detail */
  }
  return '';
}

function statusError(what: string, res: RawResponse, last: string): OperationError {
  if (res.status === 403) {
    return new OperationError('warp-api', `${what} was refused: ${last}`, {
      hint: 'Cloudflare answers 403 (often error 1020) to clients it does not accept: privroute already forces TLS 1.2 and wgcf headers, so check the account token (re-register with "privroute rotate warp") and that warp.api_base is right',
    });
  }
  if (res.status === 401) {
    return new OperationError('warp-api', `${what} was not authorised: ${last}`, { hint: 'the stored device token is no longer valid; run "privroute rotate warp" to register a new device' });
  }
  return new OperationError('warp-api', `${what} failed: ${last}`, { hint: 'check the request; the API rejected it' });
}

function parseJson(what: string, res: RawResponse): unknown {
  if (res.body.trim() === '') return undefined;
  try {
    return JSON.parse(res.body);
  } catch (e) {
    throw new OperationError('warp-api', `${what}: HTTP ${res.status} response is not valid JSON (${res.body.length} bytes)`, {
      cause: e,
      hint: 'the API (or something in the path, e.g. a captive portal or proxy) returned garbage; nothing was stored. Retry later; check warp.api_base',
    });
  }
}
