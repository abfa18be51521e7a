/**
 * `privroute daemon` as a library: the scheduler (jobs serialized), the status
 * HTTP server, and the metrics, wired together. Start order: validate the
 * schedules and the listen address, read the token file (refused if group/world
 * readable), listen, start cron, run one health job at once. `stop()` stops
 * cron, waits for the running job, closes the server.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { componentLogger } from '../core/logger.js';
import { InputError } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import { activeClients, listClients } from '../tunnel/client-repo.js';
import { productionJobs, type DaemonState } from './jobs.js';
import { DaemonMetrics } from './metrics.js';
import { Scheduler, type JobRecord, type JobSpec } from './scheduler.js';
import { startStatusServer, statusRoutes, type ServerLimits, type StatusServer } from './server.js';
import { ensureTokenFile, readTokenFile } from './token.js';
import { startDashboard, type Dashboard } from './web/index.js';

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  config: Config;
  store: StateStore;
  logger: Logger;
  /** Override the jobs (tests); default {@link productionJobs}. */
  jobs?: (state: DaemonState) => JobSpec[];
  /** Override daemon.listen (tests: 127.0.0.1:0). */
  listen?: string;
  /** Run the health job once at start (default true). */
  healthAtStart?: boolean;
  warpTraceUrl?: string;
  /** Override the endpoint's limits (tests). */
  limits?: Partial<ServerLimits>;
  /** Dashboard probe/sample intervals; false = none (unit tests). */
  live?: { probeEveryMs?: number; sampleEveryMs?: number } | false;
}

/** A running daemon. */
export interface Daemon {
  scheduler: Scheduler;
  server: StatusServer;
  metrics: DaemonMetrics;
  state: DaemonState;
  dashboard: Dashboard;
  /** The /status document. */
  statusDocument(): unknown;
  stop(): Promise<void>;
}

/** `host:port` or `[v6]:port`; port 0 = any free port (tests). null if malformed. */
export function parseListen(v: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v.trim());
  if (!m) return null;
  const port = Number(m[3]);
  return port <= 65535 ? { host: (m[1] ?? m[2])!, port } : null;
}

/** Start the daemon; see the module comment. Throws InputError/PreconditionError before listening on bad input. */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const log = componentLogger('daemon', o.logger);
  const d = o.config.plugins.privacy_router.daemon;
  const listen = o.listen ?? d.listen;
  const hp = parseListen(listen);
  if (!hp) throw new InputError({ path: 'plugins.privacy_router.daemon.listen', value: listen, expected: 'host:port, e.g. 127.0.0.1:9477' });
  // A token on every address, loopback included (issue 11 #10): without daemon.token_file, one in the state dir.
  const tokenSrc = d.token_file ? { token: readTokenFile(d.token_file), file: d.token_file } : await ensureTokenFile(o.store.dir);
  const state: DaemonState = { lastHealth: null, status: null, macRotation: null };
  const jobs = o.jobs ? o.jobs(state) : productionJobs({ config: o.config, store: o.store, logger: log, state, warpTraceUrl: o.warpTraceUrl });
  const metrics = new DaemonMetrics(jobs.map((j) => j.name));
  const clientGauge = () => {
    try {
      metrics.clients.set({ state: 'total' }, listClients(o.store.db).length);
      metrics.clients.set({ state: 'active' }, activeClients(o.store.db, new Date().toISOString()).length);
    } catch (e) {
      log.warn({ err: e }, 'cannot count clients');
    }
  };
  const scheduler = new Scheduler(jobs, {
    logger: log,
    onRun: (rec: JobRecord, ok: boolean) => {
      metrics.recordRun(rec.name, ok);
      if (rec.name === 'health') {
        metrics.converged.set(state.lastHealth?.converged ? 1 : 0);
        if (state.status) metrics.recordStatus(state.status);
      }
      clientGauge();
    },
  });
  clientGauge();
  const statusDocument = () =>
    state.status === null
      ? null
      : {
          ...state.status,
          daemon: {
            lastHealth: state.lastHealth && { at: state.lastHealth.at, converged: state.lastHealth.converged, components: state.lastHealth.components.map((c) => ({ name: c.name, status: c.status, detail: c.detail })) },
            macRotation: state.macRotation ?? { available: null, reason: 'not tried yet' },
            jobs: scheduler.jobs(),
          },
        };
  const dashboard = startDashboard({ config: o.config, store: o.store, logger: log, token: tokenSrc.token, scheduler, state, warpTraceUrl: o.warpTraceUrl, live: o.live });
  const status = statusRoutes({
    healthy: () => state.lastHealth === null ? { ok: false, detail: 'no health run yet' } : { ok: state.lastHealth.converged, detail: state.lastHealth.converged ? `converged at ${state.lastHealth.at}` : `not converged at ${state.lastHealth.at}` },
    status: statusDocument,
    metrics: () => metrics.render(),
  });
  let server: StatusServer;
  try {
    server = await startStatusServer({ host: hp.host, port: hp.port, auth: dashboard.auth, routes: [...status, ...dashboard.routes], unauthorized: dashboard.unauthorized, limits: o.limits });
  } catch (e) {
    await dashboard.stop();
    throw e;
  }
  log.info({ listen: `${server.address.address}:${server.address.port}`, tokenFile: tokenSrc.file, jobs: jobs.map((j) => `${j.name}=${j.cron}`) }, 'daemon started');
  scheduler.start();
  if ((o.healthAtStart ?? true) && jobs.some((j) => j.name === 'health')) void scheduler.trigger('health');
  return {
    scheduler, server, metrics, state, dashboard, statusDocument,
    async stop() {
      await dashboard.stop();
      await scheduler.stop();
      await server.close();
      log.info('daemon stopped');
    },
  };
}
