/**
 * As root: another (unprivileged) user can neither list the state dir nor read
 * the database or its WAL — checked by actually trying, not by reading modes.
 */
import test from 'ava';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnArgv } from '../../../src/host/local.js';
import { StateStore, DB_FILE } from '../../../src/state/store.js';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('setpriv'));
const t_ = skip ? test.skip : test;

/** Run argv as uid/gid 65534 (nobody). */
function asNobody(argv: string[]) {
  return spawnArgv('local', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...argv], { okCodes: [0, 1, 2] });
}

t_('an unprivileged user cannot read the state store', async (t) => {
  const parent = mkdtempSync(path.join(tmpdir(), 'prperm-'));
  chmodSync(parent, 0o755); // only the state dir itself should stop them
  const dir = path.join(parent, 'state');
  const s = StateStore.open(dir, { create: true });
  s.setSecret('server.key', 'not-for-nobody');
  // Control: nobody can read a world-readable file in the parent, so a failure below is the store's modes.
  const control = await asNobody(['ls', parent]);
  t.is(control.code, 0, control.stderr);
  const ls = await asNobody(['ls', dir]);
  t.not(ls.code, 0);
  t.regex(ls.stderr, /Permission denied/);
  chmodSync(dir, 0o711); // even with the dir traversable, the files themselves are 0600
  for (const f of [DB_FILE, `${DB_FILE}-wal`]) {
    const cat = await asNobody(['cat', path.join(dir, f)]);
    t.not(cat.code, 0, f);
    t.regex(cat.stderr, /Permission denied/, f);
  }
  s.close();
});
