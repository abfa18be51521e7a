/**
 * Validation of client-command input (pure). Every function throws InputError
 * (exit 2) naming the argument, the value seen and the fix, before anything is
 * touched.
 */
import ipaddr from 'ipaddr.js';
import { InputError } from '../core/errors.js';

/** Client names: lower-case letter or digit first, then up to 31 of [a-z0-9._-]. */
export const CLIENT_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** Check a client name. Returns it unchanged. */
export function validateClientName(name: unknown, arg = 'NAME'): string {
  if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
    throw new InputError({
      path: arg,
      value: name,
      expected: 'a client name of 1-32 characters: a-z or 0-9 first, then a-z, 0-9, ".", "_" or "-" (e.g. "alice-phone")',
    });
  }
  return name;
}

const DURATION = /^(\d{1,5})([hdw])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse `--expires`: a duration (`12h`, `30d`, `2w`), a date (`2026-12-31`, meaning
 * the end of that day, UTC) or an ISO date-time with zone. Must be in the future
 * relative to `now`. Returns the ISO instant.
 */
export function parseExpires(v: string, now: Date = new Date()): string {
  const bad = (why: string) =>
    new InputError({ path: '--expires', value: v, expected: `${why} (a duration like 12h, 30d, 2w; a date like 2026-12-31; or an ISO date-time like 2026-12-31T18:00:00Z)` });
  let t: number;
  const d = DURATION.exec(v);
  if (d) {
    const mult = { h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[d[2] as 'h' | 'd' | 'w'];
    t = now.getTime() + Number(d[1]) * mult;
    if (Number(d[1]) === 0) throw bad('expected a positive duration');
  } else if (DATE_ONLY.test(v)) {
    t = Date.parse(`${v}T23:59:59.999Z`);
    // Reject dates that JS would roll over (2026-02-31).
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v) throw bad('expected a real calendar date');
  } else if (DATE_TIME.test(v)) {
    t = Date.parse(v);
    if (Number.isNaN(t)) throw bad('expected a real date-time');
  } else throw bad('expected an expiry');
  if (t <= now.getTime()) throw bad('expected a time in the future');
  return new Date(t).toISOString();
}

/** Parse `--dns` (comma-separated IPv4/IPv6 addresses, at most 8). Returns canonical text. */
export function parseDnsList(v: string): string[] {
  const parts = v.split(',').map((s) => s.trim());
  // Strict forms only: four-part decimal IPv4 (no "127.1", no hex/octal), plain IPv6 (no zone).
  const ok = (p: string) => (p.includes(':') ? ipaddr.IPv6.isValid(p) && !/[^0-9a-fA-F:.]/.test(p) : ipaddr.IPv4.isValidFourPartDecimal(p));
  const bad = parts.filter((p) => !ok(p));
  if (parts.length === 0 || bad.length > 0 || parts.length > 8 || parts.some((p) => p === '')) {
    throw new InputError({ path: '--dns', value: v, expected: 'a comma-separated list of 1-8 IP addresses, e.g. 10.8.0.1 or 1.1.1.1,2606:4700:4700::1111' });
  }
  return parts.map((p) => ipaddr.parse(p).toString());
}
