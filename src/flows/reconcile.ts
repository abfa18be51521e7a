/**
 * Pure reconcile: desired flows/meters vs the installed ones privroute owns →
 * the minimal list of changes.
 *
 * - Flows are keyed by (table, priority, canonical match) (text.ts `flowKey`):
 *   that triple is what identifies a flow inside an OpenFlow switch.
 *   - key only desired              → `add`
 *   - key in both, actions differ   → `modify_strict` (keeps the flow's counters)
 *   - key in both, cookie differs   → `add`, which replaces the flow in place
 *     (an OF1.3 modify never rewrites the cookie, so it could not fix it)
 *   - key only installed            → `delete_strict`
 *   - identical                     → nothing. A no-op reconcile produces zero mods.
 * - Installed flows without privroute's cookie prefix are ignored even if the caller
 *   passes them (dumps are already cookie-filtered; this is the second lock). One
 *   OpenFlow limit remains: a foreign flow with exactly the (table, priority, match)
 *   of a desired flow is the same switch entry, so adding ours replaces it. privroute's
 *   tables are its own; an operator adding flows there should use other priorities.
 * - Meters are owned by id range (antispoof.ts); foreign meters are ignored.
 * - Change order: adds, then modifies, then deletes (a change adds before it deletes).
 *   The whole list is applied as one atomic bundle by apply.ts.
 */
import type { Flow, Meter } from '../ovs/flow.js';
import { isOwnedMeter } from './build/antispoof.js';
import { isOwned } from './cookie.js';
import { actionsText, flowKey } from './text.js';

/** A flow change (same shape as the OpenFlow client's FlowMod). */
export type FlowChange = { command: 'add' | 'modify_strict' | 'delete_strict'; flow: Flow };
/** A meter change (same shape as the OpenFlow client's MeterMod). */
export type MeterChange = { command: 'add' | 'modify' | 'delete'; meter: Meter };

/** The outcome of a diff. */
export interface FlowDiff {
  mods: FlowChange[];
  meters: MeterChange[];
  added: Flow[];
  /** Desired flows that replace an installed flow with the same key. */
  modified: { from: Flow; to: Flow }[];
  deleted: Flow[];
  unchanged: number;
  metersUnchanged: number;
}

function sameMeter(a: Meter, b: Meter): boolean {
  return a.unit === b.unit && a.rate === b.rate && (a.burst ?? 0) === (b.burst ?? 0);
}

interface DesiredEntry {
  flow: Flow;
  actions: string;
  /** Generation of the last diff that found this key installed. */
  seen: number;
}
interface DesiredIndex {
  byKey: Map<string, DesiredEntry>;
  generation: number;
}

// The index of a desired flow list, kept per array object: a daemon (or the bench)
// diffing the same desired list again and again builds it once.
const indexes = new WeakMap<readonly Flow[], DesiredIndex>();

function desiredIndex(desired: readonly Flow[]): DesiredIndex {
  let idx = indexes.get(desired);
  // Cheap staleness guard for a list mutated after it was indexed (callers should not).
  if (idx && idx.byKey.size === desired.length) return idx;
  idx = { byKey: new Map(), generation: 0 };
  for (const f of desired) {
    const key = flowKey(f);
    const actions = actionsText(f);
    if (idx.byKey.has(key)) throw new Error(`desired flows contain key ${key} twice`);
    idx.byKey.set(key, { flow: f, actions, seen: 0 });
  }
  indexes.set(desired, idx);
  return idx;
}

/**
 * Diff `desired` against `installed`. Both must use port names (decoded flows go
 * through `namePorts` first). Throws on duplicate desired keys (a compiler bug).
 * Pure in effect (a per-array index of `desired` is cached; treat the arrays as
 * immutable); the inputs are not modified; the result does not depend on input order.
 */
export function diffFlows(desired: readonly Flow[], installed: readonly Flow[], desiredMeters: readonly Meter[] = [], installedMeters: readonly Meter[] = []): FlowDiff {
  const index = desiredIndex(desired);
  const gen = ++index.generation;
  const out: FlowDiff = { mods: [], meters: [], added: [], modified: [], deleted: [], unchanged: 0, metersUnchanged: 0 };
  // Only the (usually few) changes are sorted, by key, so the result does not depend on
  // input order without sorting 10k keys on every no-op reconcile.
  const modifies: [string, FlowChange, Flow][] = [];
  const dels: [string, Flow][] = [];
  for (const i of installed) {
    if (!isOwned(i.cookie)) continue;
    const k = flowKey(i);
    const e = index.byKey.get(k);
    if (!e) {
      dels.push([k, i]);
      continue;
    }
    e.seen = gen;
    const d = e.flow;
    if (i.cookie !== d.cookie || i.unsupported?.length) {
      // A cookie change cannot be done by an OF1.3 modify; undecodable parts are replaced whole.
      modifies.push([k, { command: 'add', flow: d }, i]);
    } else if (actionsText(i) !== e.actions || (i.idleTimeout ?? 0) !== (d.idleTimeout ?? 0) || (i.hardTimeout ?? 0) !== (d.hardTimeout ?? 0)) {
      modifies.push([k, { command: 'modify_strict', flow: d }, i]);
    } else out.unchanged++;
  }
  const adds: [string, Flow][] = [];
  for (const [k, e] of index.byKey) if (e.seen !== gen) adds.push([k, e.flow]);
  const byKey = (a: [string, ...unknown[]], b: [string, ...unknown[]]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  adds.sort(byKey);
  modifies.sort(byKey);
  dels.sort(byKey);
  for (const [, d] of adds) {
    out.added.push(d);
    out.mods.push({ command: 'add', flow: d });
  }
  for (const [, change, i] of modifies) {
    out.modified.push({ from: i, to: change.flow });
    out.mods.push(change);
  }
  for (const [, i] of dels) {
    out.deleted.push(i);
    out.mods.push({ command: 'delete_strict', flow: i });
  }

  const wantM = new Map(desiredMeters.map((m) => [m.id, m]));
  const haveM = new Map(installedMeters.filter((m) => isOwnedMeter(m.id)).map((m) => [m.id, m]));
  for (const id of [...wantM.keys()].sort((a, b) => a - b)) {
    const d = wantM.get(id)!;
    const i = haveM.get(id);
    if (!i) out.meters.push({ command: 'add', meter: d });
    else if (!sameMeter(i, d)) out.meters.push({ command: 'modify', meter: d });
    else out.metersUnchanged++;
  }
  for (const id of [...haveM.keys()].sort((a, b) => a - b)) if (!wantM.has(id)) out.meters.push({ command: 'delete', meter: haveM.get(id)! });
  return out;
}
