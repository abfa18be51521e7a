/**
 * Test helper (not a test): run the daemon's production `rotate_mac` job once
 * (productionJobs → rotateMacsFromConfig, exactly what the daemon's cron runs),
 * with the lab's config and store, and print the result as JSON. Run it inside
 * the lab's node namespace: `ip netns exec <node> node --import tsx
 * rotate-mac-run.ts <config> <state-dir>`.
 */
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { productionJobs, type DaemonState } from '../../../src/daemon/jobs.js';
import { StateStore } from '../../../src/state/store.js';

const [configFile, stateDir] = process.argv.slice(2);
const config = loadConfig({ file: configFile });
const store = StateStore.open(stateDir!, {});
const state: DaemonState = { lastHealth: null, status: null, macRotation: null };
try {
  const job = productionJobs({ config, store, logger: pino({ level: 'silent' }), state }).find((j) => j.name === 'rotate_mac')!;
  const r = await job.run().then((v) => ({ ok: true, result: v }), (e: Error) => ({ ok: false, error: e.message }));
  process.stdout.write(JSON.stringify({ ...r, state: state.macRotation, salt: store.getKv('mac_salt') ?? '' }) + '\n');
} finally {
  store.close();
}
