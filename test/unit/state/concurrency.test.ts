/**
 * Proof that the CLI and the daemon can write at the same time without a lost
 * update: 8 processes each do 200 read-modify-write increments of one counter
 * through store.tx(); the result must be exactly 1600.
 */
import test from 'ava';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../../../src/host/local.js';
import { StateStore } from '../../../src/state/store.js';

const WORKER = fileURLToPath(new URL('./_counter-worker.ts', import.meta.url));
const PROCS = 8;
const EACH = 200;

test('8 processes x 200 transactional increments = exactly 1600', async (t) => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'prconc-')), 'state');
  StateStore.open(dir, { create: true }).close();
  const runs = Array.from({ length: PROCS }, (_, i) =>
    spawnArgv('local', [process.execPath, '--import', 'tsx', WORKER, dir, String(EACH), String(i)], { timeoutMs: 120_000 }),
  );
  // Barrier: release all workers together once every one has the store open.
  const deadline = Date.now() + 90_000;
  while (Array.from({ length: PROCS }, (_, i) => existsSync(path.join(dir, `ready-${i}`))).some((x) => !x)) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  writeFileSync(path.join(dir, 'go'), '');
  const results = await Promise.all(runs);
  t.deepEqual(results.map((r) => r.stdout.trim()), Array(PROCS).fill(String(EACH)), 'every worker finished all increments');
  const s = StateStore.open(dir);
  t.is(s.getKv('counter'), String(PROCS * EACH));
  s.close();
});
