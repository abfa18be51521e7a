/**
 * The dashboard, assembled for the daemon: the auth (token + sessions), the live
 * monitor (on-demand status probe, traffic sampler), the client actions (the
 * CLI's ClientService under the jobs' lock) and the routes. `stop()` stops the
 * monitor. See routes.ts for the URLs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/types.js';
import { gatewayHealth } from '../../health/gateway.js';
import { collectStatus, guarded } from '../../health/status.js';
import type { StatusReport } from '../../health/types.js';
import { applianceContext } from '../../appliance/context.js';
import type { StateStore } from '../../state/store.js';
import { backendFromConfig } from '../../tunnel/backend.js';
import { ClientService } from '../../tunnel/clients.js';
import type { DaemonState } from '../jobs.js';
import type { Scheduler } from '../scheduler.js';
import type { Route } from '../server.js';
import { ClientActions } from './actions.js';
import { Auth, type AuthOptions } from './auth.js';
import { clientCounters, hopCounters } from './counters.js';
import { LiveMonitor, overlay } from './live.js';
import { dashboardRoutes, unauthorized } from './routes.js';

/** Inputs of {@link startDashboard}. */
export interface DashboardOptions {
  config: Config;
  store: StateStore;
  logger: Logger;
  token: string;
  scheduler: Scheduler;
  state: DaemonState;
  warpTraceUrl?: string;
  /** Probe/sample intervals; false = never probe or sample (unit tests: no host access). */
  live?: { probeEveryMs?: number; sampleEveryMs?: number } | false;
  auth?: AuthOptions;
}

/** A started dashboard. */
export interface Dashboard {
  auth: Auth;
  live: LiveMonitor;
  actions: ClientActions;
  routes: Route[];
  unauthorized: (req: IncomingMessage, res: ServerResponse) => void;
  stop(): Promise<void>;
}

/** The newer of two statuses (by collection time). */
export function newest(a: StatusReport | null, b: StatusReport | null): StatusReport | null {
  if (!a || !b) return a ?? b;
  return a.at >= b.at ? a : b;
}

/** Build and start the dashboard (the monitor starts ticking; the routes are served by the daemon's server). */
export function startDashboard(o: DashboardOptions): Dashboard {
  // The same construction as the CLI's client commands (src/tunnel/cli-support.ts clientService).
  const service = () => new ClientService(o.store, o.config, backendFromConfig(o.config, { env: process.env }));
  const auth = new Auth(o.token, o.auth);
  const live = new LiveMonitor({
    probe: () => collectStatus(applianceContext(o.config, o.store, o.logger), { warpTraceUrl: o.warpTraceUrl }),
    // In-process only (a UAPI socket read): no spawn, so it stays fast on a loaded node.
    quick: async () => (o.config.plugins.privacy_router.wireguard.enabled ? [await guarded('gateway', () => gatewayHealth(o.config, o.store))] : []),
    sample: async () => {
      const backend = o.config.plugins.privacy_router.wireguard.enabled ? backendFromConfig(o.config, { env: process.env }) : null;
      const [c, h] = await Promise.allSettled([clientCounters(o.store, backend), hopCounters(o.config, o.store)]);
      return [...(c.status === 'fulfilled' ? c.value : []), ...(h.status === 'fulfilled' ? h.value : [])];
    },
    logger: o.logger,
    ...(o.live || {}),
  });
  const actions = new ClientActions({ service, exclusive: (fn) => o.scheduler.exclusive(fn), logger: o.logger });
  const routes = dashboardRoutes({
    auth, live, actions, logger: o.logger,
    // The newest full status (scheduled health run or live probe), with fresher quick-probe hops put in.
    status: () => overlay(newest(o.state.status, live.latest()), live.latestQuick()),
    clients: () => service().list(),
    clientConfig: async (name) => {
      const svc = service();
      return svc.configOf(svc.get(name));
    },
    jobs: () => o.scheduler.jobs(),
    nextRun: (j) => o.scheduler.nextRun(j),
    repair: () => void o.scheduler.trigger('health').catch(() => undefined),
  });
  if (o.live !== false) live.start();
  return { auth, live, actions, routes, unauthorized: (req, res) => unauthorized(req, res), stop: () => live.stop() };
}
