/**
 * The state store: one SQLite database (better-sqlite3) in the state dir.
 *
 * - dir created 0700 (an existing one keeps its mode; a world-writable one is
 *   refused, see dir.ts), database and WAL/SHM files 0600;
 * - WAL journal, busy timeout, numbered migrations in transactions;
 * - `tx()` runs a function in a BEGIN IMMEDIATE transaction, so the CLI and the
 *   daemon can write concurrently without lost updates (writers serialize on the
 *   write lock; the busy timeout makes them wait instead of failing).
 *
 * A missing database is created only when `create: true` (init); otherwise
 * opening fails with a StateError that says how to recover. A corrupt database is
 * never re-created over the data.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { StateError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { prepareStateDir } from './dir.js';

/** Default state directory. */
export { DEFAULT_STATE_DIR } from './paths.js';
/** File name of the database inside the state dir. */
export const DB_FILE = 'state.db';

export interface OpenOptions {
  /** Create the dir and database if missing (init, add-client). Default false. */
  create?: boolean;
  /** ms to wait for another writer. Default 10 000. */
  busyTimeoutMs?: number;
  /** Override migrations (tests). */
  migrations?: readonly Migration[];
}

/** The error for a state dir without a store (exit 1): only `init` creates one. */
export function noStoreError(dir: string): StateError {
  return new StateError(
    `no state store at ${path.join(dir, DB_FILE)}`,
    `run "privroute init" first (it creates the store), or pass --state-dir pointing at the existing one`,
  );
}

/** An open state store. Close it when done. */
export class StateStore {
  readonly db: Database.Database;
  readonly dir: string;

  private constructor(dir: string, db: Database.Database) {
    this.dir = dir;
    this.db = db;
  }

  /** Is there a store in `dir`? (Read-only: a file check; opens nothing.) */
  static exists(dir: string): boolean {
    return existsSync(path.join(dir, DB_FILE));
  }

  /** Open (and migrate) the store in `dir`. See the module comment for failure modes. */
  static open(dir: string, opts: OpenOptions = {}): StateStore {
    const file = path.join(dir, DB_FILE);
    // Bad --state-dir (world-writable, not a directory) is bad input: exit 2, before anything else.
    prepareStateDir(dir, { create: false });
    const exists = existsSync(file);
    if (!exists && !opts.create) throw noStoreError(dir);
    prepareStateDir(dir, { create: true });
    let db: Database.Database;
    try {
      // Create the file with 0600 before SQLite does, so it is never world-readable.
      const oldMask = process.umask(0o077);
      try {
        db = new Database(file, { fileMustExist: exists });
      } finally {
        process.umask(oldMask);
      }
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
    } catch (e) {
      throw new StateError(
        `state store ${file} cannot be opened: ${(e as Error).message}`,
        `the database is damaged or not a privroute store. Keep it: move it aside (mv ${file} ${file}.broken) and restore from backup, or run "privroute init" to start a new empty store (all clients will need new configs)`,
        e,
      );
    }
    const store = new StateStore(dir, db);
    store.migrate(opts.migrations ?? MIGRATIONS);
    store.tightenModes();
    return store;
  }

  /** Apply pending migrations, each in its own IMMEDIATE transaction. */
  private migrate(migrations: readonly Migration[]): void {
    for (const m of migrations) {
      this.tx(() => {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        const current = this.db.pragma('user_version', { simple: true }) as number;
        if (m.version <= current) return;
        if (m.version !== current + 1) {
          throw new StateError(`migration gap: store is at ${current}, next is ${m.version}`, 'upgrade privroute');
        }
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      });
    }
    const v = this.db.pragma('user_version', { simple: true }) as number;
    const latest = migrations.at(-1)?.version ?? 0;
    if (v > latest) {
      throw new StateError(`state store schema ${v} is newer than this privroute (${latest})`, 'upgrade privroute');
    }
  }

  /** Make sure the db and its WAL/SHM side files are 0600. */
  private tightenModes(): void {
    for (const suffix of ['', '-wal', '-shm']) {
      const f = path.join(this.dir, DB_FILE + suffix);
      if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    }
  }

  /**
   * Run `fn` in a BEGIN IMMEDIATE transaction (takes the write lock up front, so a
   * read-modify-write inside cannot lose an update). Nested calls join the outer one.
   */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }

  /** Read a kv value. */
  getKv(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Upsert a kv value. */
  setKv(key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO kv(key, value) VALUES(?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
      )
      .run(key, value);
  }

  /** Delete a kv value (absent: nothing happens). */
  deleteKv(key: string): void {
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }

  /** Read a secret. */
  getSecret(name: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM secrets WHERE name = ?').get(name) as { value: string } | undefined;
    return row?.value;
  }

  /** Store a secret (insert or replace). */
  setSecret(name: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO secrets(name, value) VALUES(?, ?)').run(name, value);
  }

  /**
   * Get the secret `name`, creating it with `make()` if absent, atomically: two
   * processes racing get the same value.
   */
  ensureSecret(name: string, make: () => string): string {
    return this.tx(() => {
      const have = this.getSecret(name);
      if (have !== undefined) return have;
      const v = make();
      this.setSecret(name, v);
      return v;
    });
  }

  close(): void {
    this.db.close();
  }
}
