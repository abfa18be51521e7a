/**
 * Pick the service manager a host actually has: systemd when it is the running
 * init (`/run/systemd/system` exists — the sd_booted(3) test), else `process`.
 */
import type { HostExec } from '../../host/exec.js';
import type { ServiceManagerKind } from './types.js';

/** `systemd` if systemd runs on `exec`'s host, else `process`. */
export async function detectServiceManager(exec: HostExec): Promise<ServiceManagerKind> {
  const r = await exec.run(['test', '-d', '/run/systemd/system'], { okCodes: [0, 1] });
  return r.code === 0 ? 'systemd' : 'process';
}
