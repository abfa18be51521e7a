/**
 * Remove stale lab/test resources (namespaces, processes, OVS run dirs) left by
 * a crashed or killed run, using the lab harness' sweep. Run by .ci/run before
 * the tests: `node --import tsx scripts/sweep.ts [prefix]`. Prints what it removed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const harness = fileURLToPath(new URL('../src/lab/harness/index.ts', import.meta.url));
if (!existsSync(harness)) {
  console.log('sweep: src/lab/harness not present; nothing to sweep');
} else if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  console.log('sweep: not root; namespaces cannot exist, nothing to sweep');
} else {
  const { sweepStale } = (await import(harness)) as { sweepStale: (prefix?: string) => Promise<string[]> };
  const removed = await sweepStale(process.argv[2]);
  for (const r of removed) console.log(`sweep: removed ${r}`);
  console.log(`sweep: ${removed.length} stale resource group(s) removed`);
}
