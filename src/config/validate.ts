/**
 * Validation of a parsed config document: structure and unknown keys (our own
 * walk), per-key checks and defaults (convict), array elements (arrays.ts),
 * cross-key checks (semantic.ts), derived defaults, and deep-freezing.
 * Every problem is collected; nothing stops at the first one.
 */
import convict from 'convict';
import type { InputProblem } from '../core/errors.js';
import { InputError } from '../core/errors.js';
import type { Config, RouterConfig } from './types.js';
import { ROOT } from './defaults.js';
import { SCHEMA, isLeaf } from './schema.js';
import { ELEMENT_SPECS, checkElements } from './arrays.js';
import { semanticProblems, type WellFormed } from './semantic.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Copy `raw` keeping only keys the schema declares; report unknown keys and
 * sections of the wrong type (convict would crash on or mis-report those).
 */
function prune(raw: Record<string, unknown>, schema: Record<string, unknown>, prefix: string, problems: InputProblem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const node = schema[k];
    if (node === undefined || k === '__proto__' || k === 'constructor') {
      problems.push({ path, value: v, expected: `unknown key; expected one of ${Object.keys(schema).join(', ')}` });
    } else if (isLeaf(node)) {
      // Leaves are scalars or arrays; an object here is a mistake convict would recurse into.
      if (isPlainObject(v)) problems.push({ path, value: v, expected: 'expected a value, not an object' });
      else out[k] = v;
    } else if (!isPlainObject(v)) {
      problems.push({ path, value: v, expected: `expected an object with keys ${Object.keys(node as object).join(', ')}` });
    } else {
      out[k] = prune(v, node as Record<string, unknown>, path, problems);
    }
  }
  return out;
}

/** A copy of the schema whose formats also record a precise InputProblem in `sink`. */
function instrument(schema: Record<string, unknown>, prefix: string, sink: InputProblem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, node] of Object.entries(schema)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!isLeaf(node)) {
      out[k] = instrument(node as Record<string, unknown>, path, sink);
      continue;
    }
    const leaf = node as { check: (v: unknown) => string | null };
    out[k] = {
      ...leaf,
      check: (v: unknown) => {
        const problem = leaf.check(v);
        if (problem) sink.push({ path, value: v, expected: problem });
        return problem;
      },
    };
  }
  return out;
}

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), obj);
}

/** Fill the defaults that depend on other keys (documented in schema.ts). */
function resolveDerived(r: RouterConfig): void {
  const w = r as unknown as { xray: Record<string, unknown>; vps: Record<string, unknown> & { ssh: Record<string, unknown> } };
  if (r.xray.vps_address === '') w.xray.vps_address = r.vps.xray_server;
  if (r.xray.vps_port === 0) w.xray.vps_port = r.vps.xray_port;
  if (r.vps.ssh.host === null && r.vps.xray_server !== '') w.vps.ssh.host = r.vps.xray_server;
  if (r.vps.reality_server_names.length === 0) {
    const host = r.vps.reality_target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    w.vps.reality_server_names = [host];
  }
}

/** Freeze `o` and everything reachable from it. Returns `o`. */
export function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Validate a parsed config document. Returns the typed, frozen Config when there
 * are no problems; otherwise every problem found (config undefined). Pure.
 */
export function checkConfig(json: unknown): { config?: Config; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  if (!isPlainObject(json)) {
    return { problems: [{ path: '(top level)', value: json, expected: 'expected a JSON object {"version": 1, "plugins": {"privacy_router": {...}}}' }] };
  }
  const pruned = prune(json, SCHEMA as unknown as Record<string, unknown>, '', problems);

  const sink: InputProblem[] = [];
  const conf = convict(instrument(SCHEMA as unknown as Record<string, unknown>, '', sink) as convict.Schema<unknown>);
  conf.load(pruned);
  try {
    conf.validate({ allowed: 'strict' });
  } catch (e) {
    // Problems were recorded by the instrumented formats; anything else is a bug in the schema.
    if (sink.length === 0) problems.push({ path: '(schema)', expected: (e as Error).message });
  }
  problems.push(...sink);

  const doc = conf.getProperties() as unknown as Config;
  const r = doc.plugins.privacy_router;
  const ok = {} as Record<keyof WellFormed, boolean[]>;
  for (const [rel, spec] of Object.entries(ELEMENT_SPECS)) {
    const arr = get(r, rel);
    const name = rel.split('.').at(-1) as keyof WellFormed;
    ok[name] = Array.isArray(arr) ? checkElements(`${ROOT}.${rel}`, arr, spec, problems) : [];
  }
  problems.push(...semanticProblems(r, ok));
  if (problems.length > 0) return { problems };
  resolveDerived(r);
  return { config: deepFreeze(doc), problems };
}

/** Validate or throw an InputError (exit 2) listing every problem. */
export function validateConfig(json: unknown, source = 'config'): Config {
  const { config, problems } = checkConfig(json);
  if (!config) throw new InputError(problems, { hint: `fix the keys above in ${source}, then run "privroute config check"` });
  return config;
}
