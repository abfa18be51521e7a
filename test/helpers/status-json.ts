/**
 * `privroute status --json` prints the report as the one JSON document on stdout,
 * also when a hop is unhealthy (exit 1; the error goes to stderr only).
 */
import type { StatusReport } from '../../src/health/types.js';

/** The status report from `status --json`'s stdout (throws if stdout is not one JSON document). */
export function statusFromJson(stdout: string): StatusReport {
  return JSON.parse(stdout) as StatusReport;
}
