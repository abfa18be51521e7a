/**
 * `process` service manager for hosts without systemd (the lab's namespaces):
 * Debian's start-stop-daemon starts the engine in the background with a pidfile
 * and its output in a log file, and stops it by that pidfile (TERM, then KILL).
 * There is no crash supervision here: health checks see the service inactive and
 * the next reconcile (`init`, the daemon) restarts it.
 */
import type { HostExec } from '../../host/exec.js';
import type { ServiceManager, ServiceSpec, ServiceStatus } from './types.js';
import { systemdManager } from './systemd.js';

export const processManager: ServiceManager = {
  kind: 'process',
  async ensureInstalled(): Promise<boolean> {
    return false; // nothing to install: the argv is given at start
  },
  async status(exec: HostExec, spec: ServiceSpec): Promise<ServiceStatus> {
    // --status: 0 running, 1 dead but pidfile exists, 3 not running, 4 unknown.
    const r = await exec.run(['start-stop-daemon', '--status', '--pidfile', spec.pidFile], { okCodes: [0, 1, 3, 4] });
    if (r.code !== 0) return { active: false, pid: null };
    const pid = Number((await exec.readFile(spec.pidFile)).toString('utf8').trim());
    return { active: true, pid: pid > 0 ? pid : null };
  },
  async restart(exec: HostExec, spec: ServiceSpec): Promise<void> {
    await processManager.stop(exec, spec);
    await exec.run([
      'start-stop-daemon', '--start', '--quiet', '--background', '--make-pidfile', '--pidfile', spec.pidFile,
      '--output', spec.logFile, '--exec', spec.argv[0]!, '--', ...spec.argv.slice(1),
    ]);
  },
  async stop(exec: HostExec, spec: ServiceSpec): Promise<void> {
    // --oknodo: not running is fine. --retry: TERM, wait 5 s, then KILL.
    await exec.run(['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--pidfile', spec.pidFile, '--retry', 'TERM/5/KILL/2', '--remove-pidfile']);
  },
};

/** Pick a manager by kind. */
export function serviceManager(kind: 'systemd' | 'process'): ServiceManager {
  return kind === 'process' ? processManager : systemdManager;
}
