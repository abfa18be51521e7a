/**
 * The Netmaker enrollment token: standard base64 of the JSON
 * `{"server":"<api host, no scheme>","value":"<32-char key>"}` (netmaker
 * `models.EnrollmentToken`; netclient decodes it in `functions.Register`).
 * Pure parsing with precise errors; the token itself never appears in an error.
 */
import { InputError } from '../core/errors.js';

/** A decoded enrollment token. `raw` is the secret as handed to netclient. */
export interface EnrollmentToken {
  server: string;
  value: string;
  raw: string;
}

/** What a token's `value` looks like: netmaker's 32-character random key. */
const VALUE = /^[A-Za-z0-9]{32}$/;
/** An API host without scheme: host or host:port, no path. */
const SERVER = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

/**
 * Decode and check a token. `where` names its source (config key or file) in
 * errors. Throws InputError (exit 2) saying exactly what is wrong; the token's
 * text is never included (it is a credential).
 */
export function parseEnrollmentToken(text: string, where: string): EnrollmentToken {
  const raw = text.trim();
  const bad = (expected: string) => new InputError({ path: where, value: '<redacted>', expected }, { hint: 'create a new enrollment key in the Netmaker UI (Enrollment Keys → Create) and write its token into the file' });
  if (!raw) throw bad('a Netmaker enrollment token; the file is empty');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || raw.length % 4 !== 0) throw bad('standard base64 (A-Z a-z 0-9 + / =); the token has other characters or a wrong length — was it truncated or copied with spaces?');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw bad('base64 of a JSON object {"server": ..., "value": ...}; it decodes to something that is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('base64 of a JSON object {"server": ..., "value": ...}; it decodes to JSON that is not an object');
  const o = json as Record<string, unknown>;
  const missing = ['server', 'value'].filter((k) => typeof o[k] !== 'string' || o[k] === '');
  if (missing.length) throw bad(`a token whose JSON has "server" and "value" strings; ${missing.map((k) => `"${k}"`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing or empty`);
  const server = o.server as string;
  const value = o.value as string;
  if (/^[a-z]+:\/\//i.test(server) || !SERVER.test(server)) throw bad(`"server" to be the API host without scheme or path (e.g. api.netmaker.example.com); got ${JSON.stringify(server)}`);
  if (!VALUE.test(value)) throw bad(`"value" to be the 32-character enrollment key; it has ${value.length} character(s)${/[^A-Za-z0-9]/.test(value) ? ' including non-alphanumerics' : ''}`);
  return { server, value, raw };
}

/** Encode a token (the server stand-in and tests). Pure. */
export function encodeEnrollmentToken(server: string, value: string): string {
  return Buffer.from(JSON.stringify({ server, value })).toString('base64');
}
