/**
 * The one redaction of everything that leaves privroute (log lines, error
 * serializations, the CLI's error output, the daemon's /status and /metrics):
 *
 * - by key name, at any depth: the value of a secret-named field (`privateKey`,
 *   `psk`, `token`, ...) is replaced whole, whatever it looks like;
 * - by value, in every string at any depth: WireGuard/X25519 keys, UUIDs and
 *   WARP+ licences are replaced where they appear in free text (the stdout of a
 *   failed `wg show dump`, a message, a stack).
 *
 * Pure: returns a redacted copy; the input is not changed.
 */

/** Field names whose values are always replaced (compared case-insensitively, `_`/`-` ignored). */
export const SECRET_KEYS = [
  'privateKey', 'private_key', 'presharedKey', 'preshared_key', 'psk',
  'token', 'accessToken', 'access_token', 'password', 'license', 'uuid', 'id_uuid',
  'secret', 'key_data', 'shortId', 'short_id', 'shortIds',
] as const;

const norm = (k: string) => k.toLowerCase().replace(/[_-]/g, '');
const SECRET_NAMES = new Set(SECRET_KEYS.map(norm));

/** True when a field named `key` holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_NAMES.has(norm(key));
}

// Value patterns: a WireGuard/X25519 key (44 chars std base64 or 43 RawURL), and a UUID.
const KEY_RE = /\b[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])|\b[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const UUID_RE = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// A WARP+ license key: three groups of 8 alphanumerics (`1a2B3c4D-5e6F7g8H-9i0J1k2L`).
const LICENSE_RE = /\b[A-Za-z0-9]{8}-[A-Za-z0-9]{8}-[A-Za-z0-9]{8}\b/g;

/** Replace key-, UUID- and license-shaped substrings of free text (messages, stderr) with `<redacted-…>`. */
export function redactText(s: string): string {
  return s.replace(UUID_RE, '<redacted-uuid>').replace(LICENSE_RE, '<redacted-license>').replace(KEY_RE, '<redacted-key>');
}

/** The censor for a secret-named field. */
export const CENSOR = '<redacted>';

/**
 * A redacted deep copy of `v`: secret-named fields censored and every string
 * scrubbed, at any depth, through arrays, plain objects, Maps and Errors (which
 * become `{type, message, stack, ...own fields, cause}` like pino's serializer).
 * Buffers become their length (raw bytes may be key material). Cycles are cut.
 */
export function redactDeep(v: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[Circular]';
  seen.add(v);
  try {
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
    if (Array.isArray(v)) return v.map((x) => redactDeep(x, seen));
    if (v instanceof Map) return redactDeep(Object.fromEntries(v), seen);
    if (v instanceof Date) return v.toISOString();
    const src: Record<string, unknown> = v instanceof Error ? { ...v, type: v.constructor?.name ?? v.name, message: v.message, stack: v.stack } : (v as Record<string, unknown>);
    if (v instanceof Error && v.cause !== undefined) src.cause = v.cause;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(src)) out[k] = isSecretKey(k) && x !== null && x !== undefined ? CENSOR : redactDeep(x, seen);
    return out;
  } finally {
    seen.delete(v); // a shared (non-cyclic) object may appear twice
  }
}
