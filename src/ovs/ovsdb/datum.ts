/**
 * RFC 7047 §5.1 datum encoding helpers: atoms, sets, maps, UUIDs and named UUIDs,
 * plus readers that accept the server's abbreviations (a one-element set sent as a
 * bare atom). Also the operation types used with `transact`.
 */

export type Uuid = ['uuid', string];
export type NamedUuid = ['named-uuid', string];
export type Atom = string | number | boolean | Uuid | NamedUuid;
export type OvsSet = ['set', Atom[]];
export type OvsMap = ['map', [Atom, Atom][]];
export type Datum = Atom | OvsSet | OvsMap;
export type Row = Record<string, Datum>;

/** `["uuid", u]` */
export const uuid = (u: string): Uuid => ['uuid', u];
/** `["named-uuid", n]`: refers to a row inserted earlier in the same transaction. */
export const namedUuid = (n: string): NamedUuid => ['named-uuid', n];
/** `["set", [...]]` (always the explicit form; valid for any set size). */
export const set = (values: readonly Atom[]): OvsSet => ['set', [...values]];
/** `["map", [[k, v], ...]]` from an object or entries. */
export const map = (m: Readonly<Record<string, Atom>> | readonly [Atom, Atom][]): OvsMap =>
  ['map', Array.isArray(m) ? (m as [Atom, Atom][]).map(([k, v]) => [k, v]) : Object.entries(m)];

/** Elements of a set datum (a bare atom is a one-element set). */
export function setValues(d: unknown): Atom[] {
  if (Array.isArray(d) && d[0] === 'set') return d[1] as Atom[];
  return d === undefined ? [] : [d as Atom];
}

/** A map datum as a plain object (string keys). */
export function mapValues(d: unknown): Record<string, Atom> {
  if (!Array.isArray(d) || d[0] !== 'map') return {};
  return Object.fromEntries((d[1] as [Atom, Atom][]).map(([k, v]) => [String(k), v]));
}

/** The UUID string of a `["uuid", u]` atom. */
export function uuidOf(d: unknown): string {
  if (Array.isArray(d) && (d[0] === 'uuid' || d[0] === 'named-uuid')) return d[1] as string;
  throw new TypeError(`not a uuid datum: ${JSON.stringify(d)}`);
}

/** UUID strings of a set-of-uuid datum. */
export function uuidSet(d: unknown): string[] {
  return setValues(d).map(uuidOf);
}

/** The single value of an optional (0..1) column, or undefined. */
export function optional<T extends Atom>(d: unknown): T | undefined {
  const v = setValues(d);
  return v.length ? (v[0] as T) : undefined;
}

export type Condition = [string, '==' | '!=' | 'includes' | 'excludes' | '<' | '<=' | '>' | '>=', Datum];
export type Mutation = [string, '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete', Datum];

/** Operations of an RFC 7047 transaction (§5.2). */
export type Operation =
  | { op: 'insert'; table: string; row: Row; 'uuid-name'?: string }
  | { op: 'select'; table: string; where: Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: Condition[]; row: Row }
  | { op: 'mutate'; table: string; where: Condition[]; mutations: Mutation[] }
  | { op: 'delete'; table: string; where: Condition[] }
  | { op: 'wait'; table: string; where: Condition[]; columns: string[]; until: '==' | '!='; rows: Row[]; timeout?: number }
  | { op: 'comment'; comment: string };

/** True for operations that change the database. */
export function isMutating(op: Operation): boolean {
  return op.op === 'insert' || op.op === 'update' || op.op === 'mutate' || op.op === 'delete';
}
