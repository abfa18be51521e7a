/**
 * The convict schema and the Config type must describe the same keys. This is
 * checked at compile time (the typecheck step fails when they drift) and the
 * runtime half checks that a loaded config has exactly the schema's keys.
 */
import test from 'ava';
import { SCHEMA } from '../../../src/config/schema.js';
import type { RouterConfig } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { seed } from './_seed.js';

type Leafy = string | number | boolean | null | readonly unknown[];
type SchemaKeys<S> = { [K in keyof S & string]: S[K] extends { default: unknown } ? K : K | `${K}.${SchemaKeys<S[K]>}` }[keyof S & string];
type ConfigKeys<T> = { [K in keyof T & string]: T[K] extends Leafy ? K : K | `${K}.${ConfigKeys<NonNullable<T[K]>>}` }[keyof T & string];
type S = SchemaKeys<typeof SCHEMA.plugins.privacy_router>;
type C = ConfigKeys<RouterConfig>;

// Compile-time: each is `true` only when no key is missing on the other side.
const schemaHasAllTypeKeys: [Exclude<C, S>] extends [never] ? true : Exclude<C, S> = true;
const typeHasAllSchemaKeys: [Exclude<S, C>] extends [never] ? true : Exclude<S, C> = true;

function keys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

test('a loaded config has exactly the schema leaves', (t) => {
  t.true(schemaHasAllTypeKeys && typeHasAllSchemaKeys);
  const loaded = keys(validateConfig(seed()).plugins.privacy_router).sort();
  const schemaLeaves = (function walk(s: Record<string, unknown>, p: string): string[] {
    return Object.entries(s).flatMap(([k, v]) => {
      const path = p ? `${p}.${k}` : k;
      return typeof v === 'object' && v !== null && 'default' in v ? [path] : walk(v as Record<string, unknown>, path);
    });
  })(SCHEMA.plugins.privacy_router as unknown as Record<string, unknown>, '').sort();
  t.deepEqual(loaded, schemaLeaves);
});
