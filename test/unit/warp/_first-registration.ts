/**
 * Child of first-registration-race.test.ts: one "first init" of the WARP hop.
 * argv: configFile stateDir lock|nolock. Prints "ready", waits for a line on
 * stdin (both children start together), then, like `privroute init`, takes the
 * state lock through the CLI context (with `lock`), opens the store and ensures
 * the WARP account (registering a device when there is none). Prints the device id.
 */
import { createInterface } from 'node:readline';
import { CliContext } from '../../../src/cli/context.js';
import { applianceTopology } from '../../../src/topology/topology.js';
import { ensureWarpAccount } from '../../../src/warp/service.js';

const [configFile, stateDir, mode] = process.argv.slice(2) as [string, string, string];
const ctx = new CliContext({ config: configFile, stateDir, json: false }, { out: process.stdout, err: process.stderr, env: { PRIVROUTE_LOCK_WAIT: '60' } });
void ctx.config;
process.stdout.write('ready\n');
await new Promise<void>((r) => createInterface({ input: process.stdin }).once('line', () => r()));
try {
  if (mode === 'lock') await ctx.lockState('init', { create: true });
  const store = ctx.store({ create: true });
  const r = await ensureWarpAccount({ config: ctx.config, store, topology: applianceTopology(ctx.config, store) });
  process.stdout.write(`device ${r.account.deviceId} registered=${r.registered}\n`);
} finally {
  ctx.close();
}
