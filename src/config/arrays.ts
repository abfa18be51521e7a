/**
 * Element checks for the config's arrays of objects (sockets, flows, function
 * routes, containers), which convict cannot describe. Each element must be an
 * object with exactly the known keys; every problem names its full path, e.g.
 * `plugins.privacy_router.containers[1].id`. Cross-references between arrays
 * are checked later, in semantic.ts.
 */
import type { InputProblem } from '../core/errors.js';
import { checkIfname, checkIntRange } from './formats.js';

type Check = (v: unknown) => string | null;
interface FieldSpec {
  check: Check;
  required: boolean;
}
type ElementSpec = Record<string, FieldSpec>;

const req = (check: Check): FieldSpec => ({ check, required: true });
const opt = (check: Check): FieldSpec => ({ check, required: false });
const nonEmpty: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string');
const ctid: Check = (v) => checkIntRange(v, 100, 999_999_999);
const portType: Check = (v) => (v === 'privacy' || v === 'mesh' ? null : 'expected "privacy" or "mesh"');
const matchObject: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number')
    ? null
    : 'expected an object of field names to string or number values, e.g. {"in_port": "internal_100"}';
const actionList: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? null : 'expected a non-empty array of action strings, e.g. ["output:warp0"]';

/** Shapes of the array elements, keyed by the array's path under plugins.privacy_router. */
export const ELEMENT_SPECS: Readonly<Record<string, ElementSpec>> = {
  'socket_networking.privacy_sockets': { name: req(checkIfname), container_id: req(ctid), port_type: req(portType) },
  'socket_networking.mesh_sockets': { name: req(checkIfname), container_id: req(ctid), port_type: req(portType) },
  'openflow.privacy_flows': {
    priority: req((v) => checkIntRange(v, 0, 65535)),
    match_fields: req(matchObject),
    actions: req(actionList),
    description: opt((v) => (typeof v === 'string' ? null : 'expected a string')),
  },
  'openflow.function_routing': { function: req(nonEmpty), target_socket: req(checkIfname), match_fields: req(matchObject) },
  containers: {
    id: req(ctid),
    name: req((v) => (typeof v === 'string' && /^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/.test(v) ? null : 'expected a host name (letters, digits, dots, dashes)')),
    container_type: req(nonEmpty),
    socket_port: req(checkIfname),
    network_type: req(portType),
  },
};

/**
 * Check every element of `arr` (found at `path`) against `spec`; push problems.
 * Returns, per element, whether it is well-formed (semantic checks read only those).
 */
export function checkElements(path: string, arr: readonly unknown[], spec: ElementSpec, problems: InputProblem[]): boolean[] {
  return arr.map((el, i) => {
    let ok = true;
    const at = `${path}[${i}]`;
    if (typeof el !== 'object' || el === null || Array.isArray(el)) {
      problems.push({ path: at, value: el, expected: `expected an object with keys ${Object.keys(spec).join(', ')}` });
      return false;
    }
    const obj = el as Record<string, unknown>;
    for (const [key, f] of Object.entries(spec)) {
      if (!(key in obj)) {
        if (f.required) {
          problems.push({ path: `${at}.${key}`, expected: 'is required' });
          ok = false;
        }
        continue;
      }
      const problem = f.check(obj[key]);
      if (problem) {
        problems.push({ path: `${at}.${key}`, value: obj[key], expected: problem });
        ok = false;
      }
    }
    for (const key of Object.keys(obj)) {
      if (!(key in spec)) {
        problems.push({ path: `${at}.${key}`, value: obj[key], expected: `unknown key; expected one of ${Object.keys(spec).join(', ')}` });
        ok = false;
      }
    }
    return ok;
  });
}
