/**
 * The state directory itself: created 0700 when missing (only then chmodded:
 * an existing directory is the operator's and keeps its mode), and refused when
 * world-writable (`--state-dir /tmp`): anyone could replace the database or the
 * lock file in it. Shared by the store and the state lock so both see one rule.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { InputError } from '../core/errors.js';

/**
 * Check (and with `create`, make) the state dir. Returns true when it exists
 * afterwards. Throws InputError (exit 2) for a world-writable directory or a
 * path that is not a directory; nothing is created or changed then.
 * Side effect: `mkdir -m 0700 -p dir` when missing and `create` is set.
 */
export function prepareStateDir(dir: string, opts: { create: boolean }): boolean {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!opts.create) return false;
    // Every directory this creates (with the missing parents) gets 0700 from the mode; umask can only narrow it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return true;
  }
  if (!st.isDirectory()) {
    throw new InputError({ path: '--state-dir', value: dir, expected: 'a directory (this path is not one, or is a symlink): pass a dedicated directory such as /var/lib/privroute' });
  }
  if ((st.mode & 0o002) !== 0) {
    throw new InputError({
      path: '--state-dir',
      value: dir,
      expected: `a directory that is not world-writable (mode ${(st.mode & 0o7777).toString(8)}): pass a dedicated directory such as /var/lib/privroute (privroute creates it 0700), or remove the world write bit (chmod o-w)`,
    });
  }
  return true;
}
