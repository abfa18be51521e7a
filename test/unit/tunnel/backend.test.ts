/**
 * The gateway backend from config runs where the rest of the node's commands run:
 * with `runtime.node_netns` set, the kernel backend's `pct exec` goes through that
 * namespace. (Regression: tunnel/backend.ts built its runtime on LocalExec and
 * ignored node_netns.) No root needed: the namespace does not exist, and the error
 * shows the command went through that namespace.
 */
import test from 'ava';
import { backendFromConfig } from '../../../src/tunnel/backend.js';
import { seedConfig } from './_helpers.js';

test('kernel backend: commands go through runtime.node_netns', async (t) => {
  const seed = seedConfig({ backend: 'kernel' });
  const r = seed.plugins.privacy_router;
  const config = { ...seed, plugins: { ...seed.plugins, privacy_router: { ...r, runtime: { ...r.runtime, kind: 'pct' as const, node_netns: 'privroute-no-such-ns' } } } };
  const err = await t.throwsAsync(backendFromConfig(config).get());
  // The command reached `ip netns exec privroute-no-such-ns` (before the fix: `spawn pct ENOENT`, run on this host).
  t.regex(err!.message, /network namespace "privroute-no-such-ns"/);
});
