import { procGone, waitGone } from '../../../src/lab/harness/index.js';

/** True when `pid` no longer runs (absent, or a zombie: PID 1 here does not always reap). */
export const gone = procGone;

/** Resolve true once `pid` is gone, false if it is still running after 5 s. */
export async function becomesGone(pid: number | string): Promise<boolean> {
  return waitGone(pid, 'process', 5000).then(() => true, () => false);
}
