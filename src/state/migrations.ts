/**
 * Numbered schema migrations for the state store. Append only: never edit a
 * migration that has shipped; add the next number instead. Each runs in its own
 * transaction and bumps `PRAGMA user_version`.
 */

/** One migration: its number (1-based, contiguous) and its SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core',
    sql: `
      -- Small typed-by-caller key/value facts (server keys' public halves, MACs, versions).
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      -- Secrets (private keys, tokens, UUIDs). Kept apart so they are easy to audit.
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      -- WireGuard clients of the gateway.
      CREATE TABLE clients (
        name TEXT PRIMARY KEY,
        address4 TEXT UNIQUE,
        address6 TEXT UNIQUE,
        public_key TEXT NOT NULL UNIQUE,
        private_key TEXT NOT NULL,
        preshared_key TEXT NOT NULL,
        dns TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        enabled INTEGER NOT NULL DEFAULT 1
      );
      -- WARP device registrations; exactly one row is active.
      CREATE TABLE warp_accounts (
        device_id TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        private_key TEXT NOT NULL,
        license TEXT,
        account_type TEXT,
        config_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0
      );
      -- Every rotation attempted, with its outcome.
      CREATE TABLE rotations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT,
        detail TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'tunnel-ipam',
    sql: `
      -- IPAM: the client's host number inside wireguard.subnet (and subnet6: the same
      -- number), so "lowest free address" is one indexed query, not a scan in JS.
      -- Rows created before this migration have NULL here and keep their address4.
      ALTER TABLE clients ADD COLUMN host_index INTEGER;
      CREATE UNIQUE INDEX clients_host_index ON clients(host_index);
      -- The expiry sweep reads only clients that expire.
      CREATE INDEX clients_expires_at ON clients(expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'tunnel-ipam-free-list',
    sql: `
      -- IPAM free list: host numbers below MAX(clients.host_index) released by
      -- revoke-client. Allocation takes MIN(host) here, else MAX(host_index)+1: both
      -- are b-tree edge lookups, so adding a client costs the same at 100 or 10,000.
      CREATE TABLE ipam_free (host INTEGER PRIMARY KEY);
      -- Backfill the gaps an older store may already have.
      WITH RECURSIVE seq(n) AS (
        SELECT 2 UNION ALL SELECT n + 1 FROM seq WHERE n < (SELECT MAX(host_index) FROM clients)
      )
      INSERT INTO ipam_free(host)
        SELECT n FROM seq
        WHERE (SELECT MAX(host_index) FROM clients) IS NOT NULL
          AND n < (SELECT MAX(host_index) FROM clients)
          AND NOT EXISTS (SELECT 1 FROM clients WHERE host_index = n);
    `,
  },
  {
    version: 4,
    name: 'rotation-log-subject-and-client-key-age',
    sql: `
      -- Which object a rotation was for (a client's name for rotate-client; NULL for
      -- appliance-wide ones: mac, warp, xray), so the history can name it.
      ALTER TABLE rotations ADD COLUMN subject TEXT;
      -- history lists newest first; the last rotation per kind is one index walk.
      CREATE INDEX rotations_kind_id ON rotations(kind, id);
      -- Client key rotation: when the client's current keys were issued (NULL = at
      -- created_at) and, optionally, how long they may live before list-clients
      -- flags the client as due for rotate-client.
      ALTER TABLE clients ADD COLUMN keys_at TEXT;
      ALTER TABLE clients ADD COLUMN key_lifetime_s INTEGER;
    `,
  },
  {
    version: 5,
    name: 'client-endpoint',
    sql: `
      -- The endpoint each client's config was last rendered with: when wireguard.endpoint
      -- (or the uplink's address under "auto") changes, list-clients names who holds the old one.
      ALTER TABLE clients ADD COLUMN endpoint TEXT;
    `,
  },
];
