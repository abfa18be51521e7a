/**
 * Benchmark: a no-op `privroute init` / `plan` and `privroute --version` on a
 * converged lab (issue 16 targets: init and plan ≤ 2 s, --version ≤ 150 ms, medians).
 *
 * usage (root, from the build): npm run build && node dist/bench/init-noop.js [--prefix ln1234] [--reps 3]
 * Prints ONE JSON object on stdout (progress on stderr); the lab is always torn down.
 * The date and the load average (start and end) are in the JSON: on a busy machine the
 * absolute times are not the product's.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { labDown, labUp, type Lab } from '../src/lab/lab.js';
import { uniquePrefix } from '../src/lab/harness/index.js';
import { cliTimings } from './lib/cli-timing.js';

const { values: opt } = parseArgs({ options: { prefix: { type: 'string' }, reps: { type: 'string', default: '3' } } });
const prefix = opt.prefix ?? uniquePrefix('ln');
if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new Error(`--prefix ${prefix}: 2-6 lowercase letters/digits starting with a letter`);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const out: Record<string, unknown> = { bench: 'init-noop', date: new Date().toISOString(), machine: { cpus: cpus().length, loadavg_start: load() }, prefix };
let lab: Lab | undefined;
try {
  lab = await labUp({ prefix, log: (l) => process.stderr.write(`[init-noop] ${l}\n`) });
  out.cli = await cliTimings(lab, Number(opt.reps));
} catch (e) {
  out.error = (e as Error).message.split('\n').slice(0, 3).join(' | ');
  process.exitCode = 1;
} finally {
  if (lab) await lab.scope.close().catch(() => undefined);
  await labDown(prefix);
  out.loadavg_end = load();
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
