/**
 * Exec trace (issue 16: where does a no-op `init` spend its time?). When the
 * environment variable `PRIVROUTE_TRACE_EXEC` names a file, every spawned process
 * and every SSH exec request appends one JSON line to it:
 * `{"pid":…,"target":"netns:x","argv":["ovs-vsctl",…],"start_ms":…,"ms":…,"code":0}`
 * (argv with secret indexes masked, each element cut at 80 chars). Off (no cost but
 * one env lookup per call) when the variable is unset. Side effect: appends to that file.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { maskArgv } from './exec.js';

const file = process.env.PRIVROUTE_TRACE_EXEC;

/** Is tracing on for this process? */
export const tracing = (): boolean => !!file;

/**
 * Start timing one exec; the returned function records it (call once, with the exit
 * code or null). A no-op when tracing is off.
 */
export function traceExec(target: string, argv: readonly string[], secretArgs?: readonly number[]): (code: number | null) => void {
  if (!file) return () => undefined;
  const t0 = performance.now();
  return (code) => {
    const rec = { pid: process.pid, target, argv: maskArgv(argv, secretArgs).map((a) => (a.length > 80 ? a.slice(0, 77) + '...' : a)), start_ms: Math.round(t0), ms: Math.round(performance.now() - t0), code };
    try {
      appendFileSync(file, JSON.stringify(rec) + '\n');
    } catch {
      // A trace that cannot be written must not fail the command it describes.
    }
  };
}
