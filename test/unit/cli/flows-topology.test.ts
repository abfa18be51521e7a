/**
 * `privroute flows` compiles the same pipeline as `init`: the MAC salt stored by a
 * MAC rotation and the configured access port are part of it. (Regression: the
 * flows command compiled with an empty salt and no access port, so after a MAC
 * rotation or with an access port `flows --apply` installed wrong anti-spoof flows
 * and `flows --diff` reported false drift.) The switch is unreachable here, which
 * the plain `flows` command tolerates: the desired side is still printed.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/program.js';
import { loadConfig } from '../../../src/config/load.js';
import { addressPlan } from '../../../src/topology/addressing.js';
import { compilePipeline } from '../../../src/flows/compile.js';
import { flowText } from '../../../src/flows/text.js';
import { StateStore } from '../../../src/state/store.js';
import { memoryIo } from './_io.js';

const SEED = fileURLToPath(new URL('../../fixtures/config/seed.json', import.meta.url));

test('flows compiles with the stored MAC salt and the access port, like init', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-flows-'));
  const cfg = JSON.parse(readFileSync(SEED, 'utf8'));
  const r = cfg.plugins.privacy_router;
  r.wireguard.access_port = 'access0';
  // A switch that is certainly not there: the installed side is "unreachable".
  r.ovs = { db: `unix:${dir}/no-db.sock`, rundir: dir };
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(cfg));
  const stateDir = path.join(dir, 'state');
  const store = StateStore.open(stateDir, { create: true });
  store.setKv('mac_salt', 'rotated-1');
  store.close();

  // What init installs: the stored salt, the access port.
  const config = loadConfig({ file, env: {} });
  const topology = addressPlan(config, { macSalt: 'rotated-1', accessPort: 'access0' });
  const expected = compilePipeline(config, { topology }).flows.map((f) => flowText(f));

  const io = memoryIo();
  t.is(await run(['--config', file, '--state-dir', stateDir, '--json', 'flows'], io), 0, io.err.text);
  const out = JSON.parse(io.out.text) as { desired: string[]; unreachable: string | null };
  t.truthy(out.unreachable);
  t.true(expected.some((f) => f.includes('access0')), 'the access port is in the compiled pipeline');
  t.deepEqual(out.desired, expected);
});

test('flows before any init (no store): the initial MACs, nothing created', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-flows-'));
  const cfg = JSON.parse(readFileSync(SEED, 'utf8'));
  cfg.plugins.privacy_router.ovs = { db: `unix:${dir}/no-db.sock`, rundir: dir };
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(cfg));
  const io = memoryIo();
  t.is(await run(['--config', file, '--state-dir', path.join(dir, 'state'), '--json', 'flows'], io), 0, io.err.text);
  const expected = compilePipeline(loadConfig({ file, env: {} })).flows.map((f) => flowText(f));
  t.deepEqual((JSON.parse(io.out.text) as { desired: string[] }).desired, expected);
});
