/**
 * The `clients` table as typed records (SQL only; no policy). Every mutating
 * function expects to run inside the caller's `store.tx`.
 */
import type Database from 'better-sqlite3';
import { release } from './ipam.js';
import type { KeyB64 } from './keys.js';

/** One stored client. Holds secrets: never log it whole. */
export interface ClientRecord {
  name: string;
  address4: string;
  address6: string | null;
  hostIndex: number | null;
  publicKey: KeyB64;
  privateKey: KeyB64;
  presharedKey: KeyB64;
  /** Per-client DNS override, or null for the configured default. */
  dns: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  enabled: boolean;
  /** The endpoint the client's config was last rendered with (null: not recorded yet). */
  endpoint?: string | null;
}

interface Row {
  name: string;
  address4: string;
  address6: string | null;
  host_index: number | null;
  public_key: string;
  private_key: string;
  preshared_key: string;
  dns: string | null;
  created_at: string;
  expires_at: string | null;
  enabled: number;
  endpoint?: string | null;
}

function fromRow(r: Row): ClientRecord {
  return {
    name: r.name,
    address4: r.address4,
    address6: r.address6,
    hostIndex: r.host_index,
    publicKey: r.public_key,
    privateKey: r.private_key,
    presharedKey: r.preshared_key,
    dns: r.dns ? r.dns.split(',') : null,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    enabled: r.enabled === 1,
    endpoint: r.endpoint ?? null,
  };
}

/** The client named `name`, or undefined. */
export function getClient(db: Database.Database, name: string): ClientRecord | undefined {
  const r = db.prepare('SELECT * FROM clients WHERE name = ?').get(name) as Row | undefined;
  return r && fromRow(r);
}

/** All clients, ordered by host number (address order). */
export function listClients(db: Database.Database): ClientRecord[] {
  return (db.prepare('SELECT * FROM clients ORDER BY host_index, name').all() as Row[]).map(fromRow);
}

/** Enabled, unexpired clients at `nowIso`: the peers the live interface should have. */
export function activeClients(db: Database.Database, nowIso: string): ClientRecord[] {
  return (
    db.prepare('SELECT * FROM clients WHERE enabled = 1 AND (expires_at IS NULL OR expires_at > ?) ORDER BY host_index').all(nowIso) as Row[]
  ).map(fromRow);
}

/** Enabled clients whose expiry is at or before `nowIso`. */
export function expiredClients(db: Database.Database, nowIso: string): ClientRecord[] {
  return (
    db.prepare('SELECT * FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY host_index').all(nowIso) as Row[]
  ).map(fromRow);
}

/** Insert a client. Throws the SQLite constraint error on a duplicate name/address/key. */
export function insertClient(db: Database.Database, c: ClientRecord): void {
  db.prepare(
    `INSERT INTO clients(name, address4, address6, host_index, public_key, private_key, preshared_key, dns, created_at, expires_at, enabled)
     VALUES(@name, @address4, @address6, @hostIndex, @publicKey, @privateKey, @presharedKey, @dns, @createdAt, @expiresAt, @enabled)`,
  ).run({ ...c, dns: c.dns ? c.dns.join(',') : null, enabled: c.enabled ? 1 : 0 });
}

/** Delete a client and release its host number to the IPAM free list. Returns true if a row was deleted. */
export function deleteClient(db: Database.Database, name: string): boolean {
  const row = db.prepare('SELECT host_index FROM clients WHERE name = ?').get(name) as { host_index: number | null } | undefined;
  if (!row) return false;
  release(db, row.host_index);
  return db.prepare('DELETE FROM clients WHERE name = ?').run(name).changes === 1;
}

/** Set `enabled`. Returns true if the row exists. */
export function setEnabled(db: Database.Database, name: string, enabled: boolean): boolean {
  return db.prepare('UPDATE clients SET enabled = ? WHERE name = ?').run(enabled ? 1 : 0, name).changes === 1;
}

/** Record the endpoint the client's config was rendered with. Returns true if the row exists. */
export function setEndpoint(db: Database.Database, name: string, endpoint: string): boolean {
  return db.prepare('UPDATE clients SET endpoint = ? WHERE name = ?').run(endpoint, name).changes === 1;
}
