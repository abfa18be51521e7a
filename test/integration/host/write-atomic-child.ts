/**
 * Child of write-atomic.test.ts, run under `unshare -m` (its own mount
 * namespace): mounts a 16 KiB tmpfs on argv[2], writes 1 MiB there with
 * writeFileAtomic (ENOSPC mid-write), prints {error, left: [file names]} as JSON.
 * The tmpfs vanishes with the namespace; nothing outside it is touched.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv, writeFileAtomic } from '../../../src/host/local.js';

const dir = process.argv[2]!;
await spawnArgv('local', ['mount', '--make-rprivate', '/']);
await spawnArgv('local', ['mount', '-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'prwtest', dir]);
let error: string | null = null;
try {
  await writeFileAtomic(path.join(dir, 'wg0.conf'), Buffer.alloc(1024 * 1024, 0x41), 0o600);
} catch (e) {
  error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
process.stdout.write(JSON.stringify({ error, left: readdirSync(dir) }) + '\n');
