/**
 * Flow cookies: every flow privroute installs carries a 64-bit cookie that says
 * "privroute owns this", plus why the flow exists (Antrea's cookie scheme):
 *
 *   63        48 47     40 39      32 31    24 23              0
 *   +-----------+---------+----------+--------+-----------------+
 *   |  0x7072   |  round  | category |  rule  |    object id    |
 *   |  ("pr")   |         |          |        | (port / entry)  |
 *   +-----------+---------+----------+--------+-----------------+
 *
 * - The magic in the high 16 bits is the ownership mark: dumps are filtered with
 *   {@link OWNER_COOKIE}/{@link OWNER_MASK}, and reconcile never touches a flow
 *   without it (flows added by an operator or another controller survive).
 * - round: a generation number (default 0). Changing it changes every cookie, so
 *   the next reconcile re-adds every flow; used by tests and by operators who want
 *   a visible "new generation" in dumps.
 * - category/rule: what the flow is for; `protections()` finds the flows that
 *   enforce a protection by these two bytes alone.
 * - object id: the port's object id (addressing.ts) or the config entry index.
 */

/** The ownership magic, "pr". */
export const COOKIE_MAGIC = 0x7072n;
/** Cookie value to filter privroute-owned flows in a dump. */
export const OWNER_COOKIE = COOKIE_MAGIC << 48n;
/** Cookie mask to filter privroute-owned flows in a dump. */
export const OWNER_MASK = 0xffffn << 48n;

/** Why a flow exists. Values are stable (they are written into installed flows). */
export const CATEGORY = {
  miss: 1,
  classification: 2,
  security: 3,
  conntrack: 4,
  chain: 5,
  isolation: 6,
  function: 7,
  obfuscation: 8,
  output: 9,
  user: 10,
  pass: 11,
} as const;
export type Category = keyof typeof CATEGORY;

/** Rules inside a category (the `rule` byte). Stable values. */
export const RULE = {
  none: 0,
  // security
  scanNull: 1,
  scanXmas: 2,
  scanFin: 3,
  fragment: 4,
  ttlEgress: 5,
  antiSpoof: 6,
  arpMeter: 7,
  icmpMeter: 8,
  // conntrack
  ctTrack: 20,
  ctInvalid: 21,
  ctEstablished: 22,
  ctCommit: 23,
  ndBypass: 24,
  // obfuscation
  ttlNormalize: 30,
  macRewrite: 31,
  // chain / function
  edge: 40,
  flood: 41,
  functionRoute: 42,
  functionReply: 43,
  meshL2: 44,
} as const;
export type Rule = keyof typeof RULE;

/** The parts of a cookie. */
export interface CookieParts {
  round: number;
  category: Category;
  rule: Rule;
  objectId: number;
}

/** Build a privroute cookie. Throws RangeError on out-of-range parts (a compiler bug). */
export function makeCookie(p: CookieParts): bigint {
  if (!Number.isInteger(p.round) || p.round < 0 || p.round > 0xff) throw new RangeError(`cookie round ${p.round} not in 0..255`);
  if (!Number.isInteger(p.objectId) || p.objectId < 0 || p.objectId > 0xffffff) throw new RangeError(`cookie object id ${p.objectId} not in 0..2^24-1`);
  return (
    OWNER_COOKIE |
    (BigInt(p.round) << 40n) |
    (BigInt(CATEGORY[p.category]) << 32n) |
    (BigInt(RULE[p.rule]) << 24n) |
    BigInt(p.objectId)
  );
}

/** True if `cookie` carries privroute's ownership magic. */
export function isOwned(cookie: bigint): boolean {
  return (cookie & OWNER_MASK) === OWNER_COOKIE;
}

/** Decode a privroute cookie; null if not owned or the category/rule byte is unknown. */
export function parseCookie(cookie: bigint): CookieParts | null {
  if (!isOwned(cookie)) return null;
  const cat = Number((cookie >> 32n) & 0xffn);
  const rule = Number((cookie >> 24n) & 0xffn);
  const category = (Object.keys(CATEGORY) as Category[]).find((k) => CATEGORY[k] === cat);
  const ruleName = (Object.keys(RULE) as Rule[]).find((k) => RULE[k] === rule);
  if (!category || !ruleName) return null;
  return { round: Number((cookie >> 40n) & 0xffn), category, rule: ruleName, objectId: Number(cookie & 0xffffffn) };
}

/** `0x...` text of a cookie, 16 hex digits. */
export function cookieHex(cookie: bigint): string {
  return '0x' + cookie.toString(16).padStart(16, '0');
}
