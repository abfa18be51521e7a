/**
 * The plan → diff → apply runner behind `privroute init` and `privroute plan`.
 *
 * Each component observes the real state (read-only), plans the changes from
 * desired vs observed (pure, writes nothing), and applies exactly those changes. The
 * runner walks components in dependency order; a component whose dependency
 * failed is skipped (it would act on a broken foundation), but independent
 * components still run, so one failure does not stop the others from converging.
 * A converged node yields no changes: `init` then applies nothing and says so.
 */
import { isPrivrouteError } from './errors.js';

/** One desired change, described for humans (`plan`) and carried to apply. */
export interface Change {
  /** What will be done, e.g. `add port internal_100`. */
  describe: string;
}

/** A reconcilable part of the appliance. */
export interface Component<O = unknown, C extends Change = Change> {
  /** Stable name, e.g. `ovs`, `flows`, `gateway`. */
  readonly name: string;
  /** Names of components that must have succeeded first. */
  readonly dependsOn?: readonly string[];
  /** Read the real state. Must not change anything. */
  observe(): Promise<O>;
  /** Desired vs observed → changes. Pure: writes nothing anywhere. Empty = converged. */
  plan(observed: O): readonly C[];
  /** Apply exactly `changes` (adds before deletes; no re-planning). Throws on failure. */
  apply(changes: readonly C[]): Promise<void>;
  /** Optional, called once when the run ends, whatever happened (release what observe/apply opened, e.g. a connection). */
  close?(): Promise<void>;
}

export type ComponentStatus = 'unchanged' | 'changed' | 'planned' | 'failed' | 'skipped';

/** The outcome for one component. */
export interface ComponentReport {
  name: string;
  status: ComponentStatus;
  changes: string[];
  /** Error message (failed) or the reason (skipped). */
  detail?: string;
  hint?: string;
  ms: number;
}

/** Observer of the run, for progress output (one line per component). */
export interface RunListener {
  start?(name: string): void;
  done?(report: ComponentReport): void;
}

/** Order components so each comes after its dependencies; throws on a cycle or unknown dependency. */
export function orderComponents<T extends { name: string; dependsOn?: readonly string[] }>(components: readonly T[]): T[] {
  const byName = new Map(components.map((c) => [c.name, c]));
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: T, path: string[]) => {
    const s = state.get(c.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`dependency cycle: ${[...path, c.name].join(' -> ')}`);
    state.set(c.name, 'visiting');
    for (const d of c.dependsOn ?? []) {
      const dep = byName.get(d);
      if (!dep) throw new Error(`component ${c.name} depends on unknown component ${d}`);
      visit(dep, [...path, c.name]);
    }
    state.set(c.name, 'done');
    out.push(c);
  };
  for (const c of components) visit(c, []);
  return out;
}

/**
 * Run components in dependency order. With `planOnly`, observe and reconcile
 * and plan only, and report the changes as `planned`. Never throws for a component
 * failure: it is reported, and dependents are skipped.
 *
 * Observes run concurrently (issue 16: a no-op init was the sum of every
 * component's read time): each component's observe starts as soon as its own
 * dependencies have settled. Plans and applies still happen one at a time in
 * dependency order, and an observation is only used if nothing was applied
 * since it began; otherwise the component observes again first. So the result
 * is exactly the sequential one (every observe sees every earlier apply), and a
 * converged node or `plan` gets the full overlap.
 */
export async function runComponents(
  components: readonly AnyComponent[],
  opts: { planOnly?: boolean; listener?: RunListener } = {},
): Promise<ComponentReport[]> {
  const ordered = orderComponents(components);
  try {
    return await runOrdered(ordered, opts);
  } finally {
    await Promise.all(ordered.map((c) => c.close?.().catch(() => undefined)));
  }
}

/** {@link runComponents} on components already in dependency order. */
async function runOrdered(ordered: readonly AnyComponent[], opts: { planOnly?: boolean; listener?: RunListener }): Promise<ComponentReport[]> {
  const reports = new Map<string, ComponentReport>();
  const settled = new Map(ordered.map((c) => [c.name, deferred()]));
  let applies = 0; // bumped after every apply: an observation older than that is stale
  type Seen = { applies: number; t0: number; observed?: unknown; error?: unknown };
  const observeNow = async (c: AnyComponent, t0: number): Promise<Seen> => {
    const at = applies;
    try {
      return { applies: at, t0, observed: await c.observe() };
    } catch (error) {
      return { applies: at, t0, error };
    }
  };
  const early = new Map<string, Promise<Seen | null>>(
    ordered.map((c) => [
      c.name,
      (async () => {
        await Promise.all((c.dependsOn ?? []).map((d) => settled.get(d)!.promise));
        if (badDependency(c, reports)) return null;
        const t0 = Date.now();
        opts.listener?.start?.(c.name);
        return observeNow(c, t0);
      })(),
    ]),
  );
  for (const c of ordered) {
    let seen = await early.get(c.name)!;
    const badDep = badDependency(c, reports);
    let report: ComponentReport;
    if (badDep || !seen) {
      report = { name: c.name, status: 'skipped', changes: [], detail: `dependency ${badDep} did not converge`, ms: 0 };
    } else {
      if (seen.applies !== applies) seen = await observeNow(c, seen.t0); // an earlier component changed something meanwhile
      const t0 = seen.t0;
      try {
        if ('error' in seen) throw seen.error;
        const changes = c.plan(seen.observed);
        const described = changes.map((x: Change) => x.describe);
        if (changes.length === 0) {
          report = { name: c.name, status: 'unchanged', changes: [], ms: Date.now() - t0 };
        } else if (opts.planOnly) {
          report = { name: c.name, status: 'planned', changes: described, ms: Date.now() - t0 };
        } else {
          try {
            await c.apply(changes);
          } finally {
            applies++;
          }
          report = { name: c.name, status: 'changed', changes: described, ms: Date.now() - t0 };
        }
      } catch (e) {
        report = {
          name: c.name,
          status: 'failed',
          changes: [],
          detail: (e as Error).message,
          hint: isPrivrouteError(e) ? e.hint : undefined,
          ms: Date.now() - t0,
        };
      }
    }
    reports.set(c.name, report);
    opts.listener?.done?.(report);
    settled.get(c.name)!.resolve();
  }
  return [...reports.values()];
}

/** The first dependency of `c` that failed or was skipped, if any. */
function badDependency(c: AnyComponent, reports: ReadonlyMap<string, ComponentReport>): string | undefined {
  return (c.dependsOn ?? []).find((d) => {
    const s = reports.get(d)?.status;
    return s === 'failed' || s === 'skipped';
  });
}

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A component of any observed/change type, for heterogeneous lists (the appliance's
 * component list). `any` because Component is invariant in O and C: each component
 * only ever receives its own observation and changes, which the runner guarantees.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponent = Component<any, any>;

/** Did every component converge (nothing failed or skipped)? */
export function converged(reports: readonly ComponentReport[]): boolean {
  return reports.every((r) => r.status !== 'failed' && r.status !== 'skipped');
}
