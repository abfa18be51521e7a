/**
 * The daemon: scheduled repair/rotation/expiry jobs (serialized) and the status
 * endpoint. See daemon.ts.
 */
export { startDaemon, type Daemon, type DaemonOptions } from './daemon.js';
export { Scheduler, validateSchedules, type JobRecord, type JobSpec } from './scheduler.js';
export { Mutex } from './mutex.js';
export { DaemonMetrics } from './metrics.js';
export { startStatusServer, statusRoutes, dispatch, DEFAULT_LIMITS, type StatusSource, type StatusServer, type ServerLimits, type Route } from './server.js';
export { startDashboard, type Dashboard } from './web/index.js';
export { readTokenFile, bearerMatches, ensureTokenFile } from './token.js';
export { productionJobs, healthJob, JOB_NAMES, type DaemonState, type JobDeps, type JobName } from './jobs.js';
export { rotateMacs, macMismatches, MAC_SALT_KEY, type MacRotation } from './rotate-mac.js';
