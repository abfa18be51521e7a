/**
 * The rotation log (`rotations` table): every rotation privroute attempts — MAC,
 * client key, WARP device, XRay UUID — with what, when and the outcome, so
 * `privroute history` and `status --json` can list them. Rows never hold secrets
 * (callers pass names, ids and public facts only).
 */
import type { StateStore } from './store.js';

/** One row of the log. */
export interface RotationRecord {
  id: number;
  /** What was rotated: `mac`, `client`, `warp`, `xray`, ... */
  kind: string;
  /** Which object (a client's name), or null for appliance-wide rotations. */
  subject: string | null;
  startedAt: string;
  /** Null while running (or when the process died: see `outcome`). */
  finishedAt: string | null;
  /** `ok`, `failed`, `rolled-back`, ...; null while running. */
  outcome: string | null;
  detail: string | null;
}

/** Open a log row for a rotation of `kind` (and `subject`); returns its id. Side effect: one INSERT. */
export function startRotation(store: StateStore, kind: string, subject?: string): number {
  const r = store.db
    .prepare(`INSERT INTO rotations(kind, subject, started_at) VALUES(?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`)
    .run(kind, subject ?? null);
  return Number(r.lastInsertRowid);
}

/** Close row `id` with `outcome` and `detail` (no secrets). Side effect: one UPDATE. */
export function finishRotation(store: StateStore, id: number, outcome: string, detail: string): void {
  store.db.prepare(`UPDATE rotations SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), outcome = ?, detail = ? WHERE id = ?`).run(outcome, detail, id);
}

/** The newest `limit` rows, newest first, optionally of one kind. Read-only. */
export function listRotations(store: StateStore, opts: { limit?: number; kind?: string } = {}): RotationRecord[] {
  const rows = store.db
    .prepare(
      `SELECT id, kind, subject, started_at, finished_at, outcome, detail FROM rotations
       WHERE (? IS NULL OR kind = ?) ORDER BY id DESC LIMIT ?`,
    )
    .all(opts.kind ?? null, opts.kind ?? null, opts.limit ?? 50) as { id: number; kind: string; subject: string | null; started_at: string; finished_at: string | null; outcome: string | null; detail: string | null }[];
  return rows.map((r) => ({ id: r.id, kind: r.kind, subject: r.subject, startedAt: r.started_at, finishedAt: r.finished_at, outcome: r.outcome, detail: r.detail }));
}

/** The newest successful rotation of `kind`, or undefined. Read-only. */
export function lastSuccessful(store: StateStore, kind: string): RotationRecord | undefined {
  return listRotations(store, { kind, limit: 200 }).find((r) => r.outcome === 'ok');
}
