/**
 * Test helper: put the pct stand-in (test/fixtures/bin/pct, over real LXC) first on PATH for this
 * worker (src/lab/pct-standin.ts prepares its root and template), and stop every container it
 * started at scope close.
 */
import { LocalExec } from '../../../src/host/local.js';
import type { Scope } from '../../../src/lab/harness/index.js';
import { prepareStandin, stopStandinContainers } from '../../../src/lab/pct-standin.js';

/** Point `pct` at the stand-in for this process; returns the test root and the template's volume id. */
export async function useStandin(s: Scope): Promise<{ root: string; template: string }> {
  const { env, root, template } = await prepareStandin(s);
  Object.assign(process.env, env);
  s.defer('pct stand-in containers', () => stopStandinContainers(root, new LocalExec()));
  return { root, template };
}
