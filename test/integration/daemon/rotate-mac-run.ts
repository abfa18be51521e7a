/**
 * Test helper (not a test): run the daemon's MAC rotation once, as the daemon
 * would, with the lab's config and store, and print the result as JSON. Run it
 * inside the lab's node namespace: `ip netns exec <node> node --import tsx
 * rotate-mac-run.ts <config> <state-dir>`.
 */
import { loadConfig } from '../../../src/config/load.js';
import { rotateMacsFromConfig } from '../../../src/daemon/rotate-mac.js';
import { StateStore } from '../../../src/state/store.js';

const [configFile, stateDir] = process.argv.slice(2);
const config = loadConfig({ file: configFile });
const store = StateStore.open(stateDir!, {});
try {
  const r = await rotateMacsFromConfig(config, store);
  process.stdout.write(JSON.stringify({ ...r, salt: store.getKv('mac_salt') ?? '' }) + '\n');
} finally {
  store.close();
}
