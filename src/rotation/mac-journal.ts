/**
 * The MAC rotation's durable state in the store (kv; MACs and salts are not
 * secret): the salt in force (`mac_salt`, read by the address plan) and, while a
 * rotation runs, its journal (`mac_rotation`): from which salt to which, and its
 * log row. The journal is written before anything on the node changes and
 * cleared only after the new MACs are in force everywhere, so a process killed
 * in between leaves a journal that the next `init` finishes or rolls back
 * (src/rotation/mac.ts recoverMacRotation).
 */
import type { StateStore } from '../state/store.js';

/** kv key of the salt in force (the address plan derives every MAC from it). */
export { MAC_SALT_KEY } from '../topology/topology.js';
import { MAC_SALT_KEY } from '../topology/topology.js';
/** kv key of the in-progress rotation's journal. */
export const MAC_JOURNAL_KEY = 'mac_rotation';

/** A rotation in progress. */
export interface MacJournal {
  /** Salt in force before the rotation ('' = the initial MACs). */
  from: string;
  /** Salt the rotation moves to. */
  to: string;
  /** Its row in the rotation log. */
  rotationId: number;
  startedAt: string;
}

/** The salt in force. Read-only. */
export function saltInForce(store: StateStore): string {
  return store.getKv(MAC_SALT_KEY) ?? '';
}

/** The journal of an unfinished rotation, or null. Read-only. */
export function readJournal(store: StateStore): MacJournal | null {
  const v = store.getKv(MAC_JOURNAL_KEY);
  return v ? (JSON.parse(v) as MacJournal) : null;
}

/** Write the journal (before the first change on the node). */
export function writeJournal(store: StateStore, j: MacJournal): void {
  store.setKv(MAC_JOURNAL_KEY, JSON.stringify(j));
}

/** Make `salt` the salt in force and drop the journal, in one transaction (the rotation's commit point). */
export function commitSalt(store: StateStore, salt: string): void {
  store.tx(() => {
    store.setKv(MAC_SALT_KEY, salt);
    store.db.prepare('DELETE FROM kv WHERE key = ?').run(MAC_JOURNAL_KEY);
  });
}

/** When the salt in force was last set (kv updated_at), or null if never rotated. Read-only. */
export function saltSetAt(store: StateStore): string | null {
  const row = store.db.prepare('SELECT updated_at FROM kv WHERE key = ?').get(MAC_SALT_KEY) as { updated_at: string } | undefined;
  return row?.updated_at ?? null;
}
