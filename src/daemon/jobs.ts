/**
 * The daemon's production jobs, each the same function the CLI runs:
 *   health:         the init components in repair mode (runComponents over
 *                   applianceComponents), then a fresh status; not converged = failed run;
 *   expire_clients: ClientService.expire() (expired clients off the interface);
 *   rotate_warp:    rotateWarpFromConfig (src/warp/service.ts);
 *   rotate_xray:    runRotateXray (src/xray/rotate.ts), its printed report captured;
 *   rotate_mac:     rotateMacs (rotate-mac.ts); unavailable = a failed run, and the
 *                   daemon state says so.
 * Results carry no secrets (the same data the CLI prints).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { converged, runComponents, type ComponentReport } from '../core/runner.js';
import { collectStatus } from '../health/status.js';
import type { StatusReport } from '../health/types.js';
import { applianceComponents, applianceContext } from '../appliance/index.js';
import type { StateStore } from '../state/store.js';
import { backendFromConfig } from '../tunnel/backend.js';
import { ClientService } from '../tunnel/clients.js';
import { rotateWarpFromConfig } from '../warp/service.js';
import { runRotateXray } from '../xray/rotate.js';
import type { JobSpec } from './scheduler.js';
import { rotateMacs, type MacRotation } from './rotate-mac.js';
import { applianceTopology } from '../topology/topology.js';

/** Job names, as in daemon.schedules. */
export const JOB_NAMES = ['health', 'rotate_warp', 'rotate_xray', 'rotate_mac', 'expire_clients'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** What the jobs share with the HTTP server. */
export interface DaemonState {
  /** Last health (repair) run: converged, and the per-component reports. */
  lastHealth: { at: string; converged: boolean; components: ComponentReport[] } | null;
  /** Status collected after the last health run. */
  status: StatusReport | null;
  /** MAC rotation: null = never tried; otherwise whether it worked, and why not. */
  macRotation: { available: boolean; at: string; reason?: string } | null;
}

/** Inputs of the production jobs. */
export interface JobDeps {
  config: Config;
  store: StateStore;
  logger: Logger;
  state: DaemonState;
  warpTraceUrl?: string;
}

/** The health job: repair, then status. Throws (a failed run) when init did not converge. */
export async function healthJob(d: JobDeps): Promise<{ converged: boolean; changes: number; statusOk: boolean }> {
  const ic = applianceContext(d.config, d.store, d.logger);
  const components = await runComponents(applianceComponents(ic));
  const ok = converged(components);
  const at = new Date().toISOString();
  // Status first, then both published together: /healthz never turns 200 before /status has the run's status.
  const status = await collectStatus(applianceContext(d.config, d.store, d.logger), { warpTraceUrl: d.warpTraceUrl });
  d.state.status = status;
  d.state.lastHealth = { at, converged: ok, components };
  const changes = components.reduce((n, r) => n + (r.status === 'changed' ? r.changes.length : 0), 0);
  if (!ok) {
    const bad = components.filter((r) => r.status === 'failed' || r.status === 'skipped').map((r) => `${r.name}: ${r.detail ?? r.status}`);
    throw new Error(`not converged: ${bad.join('; ')}`);
  }
  return { converged: ok, changes, statusOk: status.ok };
}

/** The production job list for `config.daemon.schedules`. */
export function productionJobs(d: JobDeps): JobSpec[] {
  const s = d.config.plugins.privacy_router.daemon.schedules;
  const r = d.config.plugins.privacy_router;
  const run: Record<JobName, () => Promise<unknown>> = {
    health: () => healthJob(d),
    expire_clients: () => new ClientService(d.store, d.config, backendFromConfig(d.config)).expire(),
    rotate_warp: () => rotateWarpFromConfig({ config: d.config, store: d.store, topology: applianceTopology(d.config, d.store), logger: d.logger }),
    rotate_xray: async () => {
      let report: unknown = null;
      await runRotateXray({ config: d.config, store: () => d.store, logger: d.logger, output: (data) => void (report = data) });
      return report;
    },
    rotate_mac: async () => {
      // Once found unavailable, not retried (each attempt would disturb the chain) until a restart.
      if (d.state.macRotation?.available === false) throw new Error(`MAC rotation unavailable (${d.state.macRotation.reason}); not retried until the daemon restarts`);
      const m: MacRotation = await rotateMacs(d.config, d.store, d.logger);
      d.state.macRotation = { available: m.rotated, at: new Date().toISOString(), ...(m.reason ? { reason: m.reason } : {}) };
      if (!m.rotated) throw new Error(`MAC rotation unavailable: ${m.reason}`);
      return m;
    },
  };
  // Jobs for disabled hops are not scheduled (nothing to rotate).
  const enabled: Record<JobName, boolean> = { health: true, expire_clients: r.wireguard.enabled, rotate_warp: r.warp.enabled, rotate_xray: r.xray.enabled, rotate_mac: true };
  return JOB_NAMES.filter((n) => enabled[n]).map((n) => ({ name: n, cron: s[n], run: run[n] }));
}
