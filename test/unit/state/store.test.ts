import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DB_FILE, StateStore } from '../../../src/state/store.js';
import { MIGRATIONS, type Migration } from '../../../src/state/migrations.js';
import { StateError, isPrivrouteError } from '../../../src/core/errors.js';

const base = mkdtempSync(path.join(tmpdir(), 'prstate-'));
let n = 0;
/** A fresh, not yet existing state dir path. */
const freshDir = () => path.join(base, `s${n++}`, 'state');
const mode = (f: string) => statSync(f).mode & 0o777;

test('create: dir 0700, database and WAL/SHM files 0600, WAL journal', (t) => {
  const dir = freshDir();
  const s = StateStore.open(dir, { create: true });
  s.setKv('k', 'v'); // a write outside a checkpoint keeps -wal and -shm around while open
  t.is(mode(dir), 0o700);
  for (const suffix of ['', '-wal', '-shm']) {
    const f = path.join(dir, DB_FILE + suffix);
    t.true(existsSync(f), `${f} exists`);
    t.is(mode(f), 0o600, `${DB_FILE}${suffix} mode`);
  }
  t.is(s.db.pragma('journal_mode', { simple: true }), 'wal');
  s.close();
});

// Issue 11 item 12: only what privroute created is chmodded; a world-writable dir is refused.
test('an existing state dir keeps its mode (privroute chmods only what it created)', (t) => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  StateStore.open(dir, { create: true }).close();
  t.is(mode(dir), 0o755, 'not chmodded: the operator chose this directory and its mode');
  t.is(mode(path.join(dir, DB_FILE)), 0o600, 'the database itself is still 0600');
});

test('a world-writable state dir (--state-dir /tmp) is refused with exit 2 and left untouched', (t) => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o1777);
  const e = t.throws(() => StateStore.open(dir, { create: true })) as Error & { exitCode?: number };
  t.true(isPrivrouteError(e));
  t.is(e.exitCode, 2);
  t.regex(e.message, /--state-dir: got ".*"; .*world-writable/);
  t.regex(e.message, /\/var\/lib\/privroute/, 'the fix names a dedicated directory');
  t.is(statSync(dir).mode & 0o7777, 0o1777, 'its mode (sticky bit too) is unchanged');
  t.false(existsSync(path.join(dir, DB_FILE)), 'no database created in it');
});

test('a missing store is refused without create, and nothing is created', (t) => {
  const dir = freshDir();
  const e = t.throws(() => StateStore.open(dir), { instanceOf: StateError }) as StateError;
  t.true(isPrivrouteError(e));
  t.is(e.exitCode, 1);
  t.regex(e.message, /no state store at .*state\.db/);
  t.regex(e.hint!, /privroute init/);
  t.false(existsSync(dir));
});

test('migrations run once and are idempotent across reopen', (t) => {
  const dir = freshDir();
  StateStore.open(dir, { create: true }).close();
  const s = StateStore.open(dir);
  t.is(s.db.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)!.version);
  const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const want of ['clients', 'kv', 'rotations', 'secrets', 'warp_accounts']) t.true(tables.includes(want), want);
  s.setKv('survives', 'yes');
  s.close();
  // A new migration is applied on top, exactly once (CREATE TABLE would fail if re-run).
  const more: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER);' }];
  StateStore.open(dir, { migrations: more }).close();
  const s2 = StateStore.open(dir, { migrations: more });
  t.is(s2.db.pragma('user_version', { simple: true }), more.length);
  t.is(s2.getKv('survives'), 'yes');
  s2.close();
});

test('a store newer than this privroute, or a migration gap, is a StateError', (t) => {
  const dir = freshDir();
  const more: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER);' }];
  StateStore.open(dir, { create: true, migrations: more }).close();
  t.throws(() => StateStore.open(dir), { instanceOf: StateError, message: /newer than this privroute/ });
  const gap: Migration[] = [...more, { version: more.length + 2, name: 'gap', sql: 'SELECT 1;' }];
  t.throws(() => StateStore.open(dir, { migrations: gap }), { instanceOf: StateError, message: /migration gap/ });
});

test('a corrupt database is a StateError with a recovery hint, and is not overwritten', (t) => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, DB_FILE);
  const garbage = Buffer.from('this is not an sqlite database, but it is somebody\'s data\n'.repeat(100));
  writeFileSync(file, garbage, { mode: 0o600 });
  for (const create of [false, true]) {
    const e = t.throws(() => StateStore.open(dir, { create }), { instanceOf: StateError }) as StateError;
    t.regex(e.message, /cannot be opened/);
    t.regex(e.hint!, /move it aside \(mv .*state\.db .*state\.db\.broken\)/);
    t.deepEqual(readFileSync(file), garbage, 'file untouched');
  }
});

test('tx rolls back on error; nested tx joins the outer one', (t) => {
  const s = StateStore.open(freshDir(), { create: true });
  s.setKv('a', '1');
  t.throws(() =>
    s.tx(() => {
      s.setKv('a', '2');
      s.tx(() => s.setKv('b', '2'));
      throw new Error('abort');
    }),
  );
  t.is(s.getKv('a'), '1');
  t.is(s.getKv('b'), undefined);
  s.close();
});

test('ensureSecret creates once and returns the stored value afterwards', (t) => {
  const s = StateStore.open(freshDir(), { create: true });
  let made = 0;
  const a = s.ensureSecret('server.key', () => `k${++made}`);
  const b = s.ensureSecret('server.key', () => `k${++made}`);
  t.is(a, 'k1');
  t.is(b, 'k1');
  t.is(made, 1);
  s.close();
});
