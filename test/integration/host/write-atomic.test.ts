/**
 * Integration (root): writeFileAtomic leaves no temp file behind when the write
 * fails (issue 11 item 13). The failure is real: a 16 KiB tmpfs, mounted in a
 * child's private mount namespace (`unshare -m`), fills up mid-write (ENOSPC).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('unshare', 'mount'));
const CHILD = fileURLToPath(new URL('./write-atomic-child.ts', import.meta.url));

test('a write that fails with ENOSPC leaves neither the file nor its temp file', (t) => {
  if (skip) return t.pass();
  const dir = mkdtempSync(path.join(tmpdir(), 'prwatomic-'));
  try {
    const r = spawnSync('unshare', ['-m', process.execPath, '--import', 'tsx', CHILD, dir], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { error: string | null; left: string[] };
    t.is(out.error, 'ENOSPC', 'the write really failed');
    t.deepEqual(out.left, [], 'no temp file survives the failed write');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
