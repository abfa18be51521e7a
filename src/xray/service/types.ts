/**
 * A pluggable service manager for the engine process: `systemd` on real hosts,
 * `process` where there is no systemd (the lab's namespaces, minimal containers).
 */
import type { HostExec } from '../../host/exec.js';

/** What to run and where its bookkeeping lives. */
export interface ServiceSpec {
  /** Service name (systemd unit name without `.service`). */
  name: string;
  /** The foreground command (engine binary + args). */
  argv: string[];
  /** process manager: pidfile and log file. */
  pidFile: string;
  logFile: string;
  /** systemd manager: where the unit file goes. */
  unitDir: string;
}

/** The observed state of the service. */
export interface ServiceStatus {
  active: boolean;
  /** Main PID when active and known. */
  pid: number | null;
}

export type ServiceManagerKind = 'systemd' | 'process';

/** Every call is idempotent; errors are ExecErrors from the HostExec. */
export interface ServiceManager {
  readonly kind: ServiceManagerKind;
  /** Install or refresh the service definition (and enable it); true if anything changed. */
  ensureInstalled(exec: HostExec, spec: ServiceSpec): Promise<boolean>;
  status(exec: HostExec, spec: ServiceSpec): Promise<ServiceStatus>;
  /** Stop (if running) and start again. */
  restart(exec: HostExec, spec: ServiceSpec): Promise<void>;
  stop(exec: HostExec, spec: ServiceSpec): Promise<void>;
}
