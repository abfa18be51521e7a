/**
 * `privroute status --json` prints the report and, when a hop is unhealthy (exit
 * 1), the error as a second JSON document after it. The report is the first.
 */
import type { StatusReport } from '../../src/health/types.js';

/** The status report from `status --json`'s stdout. */
export function statusFromJson(stdout: string): StatusReport {
  const end = stdout.indexOf('\n}\n');
  return JSON.parse(end >= 0 ? stdout.slice(0, end + 2) : stdout) as StatusReport;
}
