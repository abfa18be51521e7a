/**
 * The Netmaker server REST API, as much as privroute uses: minting an
 * enrollment key with the master key (`POST /api/v1/enrollment-keys`,
 * `Authorization: Bearer <MASTER_KEY>`). The key privroute mints is single-use
 * (type 2, uses_remaining 1) and expires in 10 minutes, so a token that leaks
 * after the join is worthless. Errors name the URL and the status, never the key.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { OperationError } from '../core/errors.js';
import { parseEnrollmentToken, type EnrollmentToken } from './token.js';

/** Options of {@link mintEnrollmentToken}. */
export interface MintOptions {
  serverUrl: string;
  masterKey: string;
  network: string;
  caFile?: string | null;
  /** Clock (tests). */
  now?: () => number;
  timeoutMs?: number;
}

/** POST JSON over HTTPS; resolves with status and parsed body. No retries (a join is re-run by the next init). */
export function postJson(url: string, body: unknown, bearer: string, caFile?: string | null, timeoutMs = 10_000): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = https.request(url, {
      method: 'POST',
      ca: caFile ? readFileSync(caFile) : undefined,
      timeout: timeoutMs,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': data.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = { Message: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Mint a single-use enrollment key for `network`; returns its token (checked like a configured one). */
export async function mintEnrollmentToken(o: MintOptions): Promise<EnrollmentToken> {
  const url = `${o.serverUrl}/api/v1/enrollment-keys`;
  const expiration = Math.floor((o.now?.() ?? Date.now()) / 1000) + 600;
  const body = { expiration, uses_remaining: 1, networks: [o.network], unlimited: false, tags: ['privroute'], type: 2 };
  let r;
  try {
    r = await postJson(url, body, o.masterKey, o.caFile, o.timeoutMs);
  } catch (e) {
    throw new OperationError('netmaker', `cannot reach the Netmaker server at ${url}: ${(e as Error).message}`, {
      cause: e,
      hint: 'check netmaker.server_url, that the server is up and reachable from this node (and netmaker.api_ca_file for a private CA)',
    });
  }
  if (r.status === 401 || r.status === 403) throw new OperationError('netmaker', `the Netmaker server refused the master key (HTTP ${r.status})`, { hint: 'check netmaker.master_key_file holds the server\'s MASTER_KEY' });
  if (r.status !== 200 || typeof r.json?.token !== 'string') {
    throw new OperationError('netmaker', `creating an enrollment key at ${url} failed: HTTP ${r.status} ${r.json?.Message ?? ''}`.trim(), { hint: `check that network "${o.network}" exists on the server (netmaker.network_name)` });
  }
  return parseEnrollmentToken(r.json.token, `the token ${url} returned`);
}
