/**
 * Worker for the concurrency test: waits for the `go` file (so all workers
 * start together), then does N read-modify-write increments of kv "counter",
 * each in its own store.tx(). Prints how many it did.
 * argv: <state dir> <increments> <worker id>
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateStore } from '../../../src/state/store.js';

const [dir, countArg, id] = process.argv.slice(2) as [string, string, string];
const store = StateStore.open(dir);
writeFileSync(path.join(dir, `ready-${id}`), '');
const deadline = Date.now() + 60_000;
while (!existsSync(path.join(dir, 'go'))) {
  if (Date.now() > deadline) throw new Error('no go signal');
  await new Promise((r) => setTimeout(r, 5));
}
let done = 0;
for (let i = 0; i < Number(countArg); i++) {
  store.tx(() => {
    const v = Number(store.getKv('counter') ?? '0');
    store.setKv('counter', String(v + 1));
  });
  done++;
  // Yield now and then so the processes interleave rather than run in bursts.
  if (i % 10 === 0) await new Promise((r) => setImmediate(r));
}
store.close();
process.stdout.write(`${done}\n`);
