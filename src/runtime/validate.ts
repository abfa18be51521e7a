/**
 * Input checks shared by the container runtimes. Everything is validated before
 * a single command runs, and reported as InputError naming the value and the fix.
 */
import { InputError, type InputProblem } from '../core/errors.js';
import { HOSTNAME, IFNAME, type ContainerId, type ContainerSpec } from './types.js';

/** Problems with a container id (Proxmox vmids are integers ≥ 100). */
export function idProblems(id: ContainerId, path = 'id'): InputProblem[] {
  return Number.isInteger(id) && id >= 100 && id <= 999_999_999
    ? []
    : [{ path, value: id, expected: 'expected an integer container id between 100 and 999999999 (a Proxmox vmid)' }];
}

/** Throw InputError unless `id` is a valid container id. */
export function checkId(id: ContainerId): void {
  const p = idProblems(id);
  if (p.length) throw new InputError(p);
}

/** Throw InputError unless `ifname` is a valid Linux interface name. */
export function checkIfname(ifname: string): void {
  if (!IFNAME.test(ifname)) {
    throw new InputError({ path: 'ifname', value: ifname, expected: 'expected an interface name of 1-15 characters from [A-Za-z0-9_.-]' });
  }
}

/** Throw InputError listing every problem in `spec`. */
export function checkSpec(spec: ContainerSpec): void {
  const problems = idProblems(spec.id, 'id');
  if (!HOSTNAME.test(spec.hostname ?? '')) {
    problems.push({ path: 'hostname', value: spec.hostname, expected: 'expected a DNS-style hostname (letters, digits, dashes, dots; ≤ 63 chars)' });
  }
  for (const k of ['diskGb', 'memoryMb', 'startupOrder'] as const) {
    const v = spec[k];
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) problems.push({ path: k, value: v, expected: 'expected a positive integer' });
  }
  if (spec.storage !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(spec.storage)) {
    problems.push({ path: 'storage', value: spec.storage, expected: 'expected a Proxmox storage id such as local-lvm' });
  }
  if (spec.template !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]*:vztmpl\/[A-Za-z0-9_.+-]+\.tar\.(gz|xz|zst)$/.test(spec.template)) {
    problems.push({ path: 'template', value: spec.template, expected: 'expected a template volume like local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst (see `pveam list local`)' });
  }
  if (problems.length) throw new InputError(problems);
}
