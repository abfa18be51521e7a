import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setSpawnConcurrency, spawnArgv } from '../../../src/host/local.js';

test('setSpawnConcurrency caps the processes spawnArgv runs at once; the rest wait their turn and all complete', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cap-'));
  t.teardown(() => {
    setSpawnConcurrency(Infinity);
    rmSync(dir, { recursive: true, force: true });
  });
  setSpawnConcurrency(2);
  // Each process records the number of its peers alive (marker files) while it runs.
  const script = 'touch "$1/$$"; n=$(ls "$1" | wc -l); sleep 0.2; rm "$1/$$"; echo "$n"';
  const runs = await Promise.all(Array.from({ length: 6 }, () => spawnArgv('local', ['sh', '-c', script, 'sh', dir])));
  const peaks = runs.map((r) => Number(r.stdout.trim()));
  t.is(runs.length, 6);
  t.true(peaks.every((n) => n >= 1 && n <= 2), `at most 2 at once: ${peaks.join(',')}`);
});
