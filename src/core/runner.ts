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
  /**
   * Read the real state. Must not change anything. The runner may call it before the
   * dependencies have converged (speculatively, see {@link runComponents}): a read
   * that reaches beyond this host (a connection to the VPS) awaits `run.ready()` first.
   */
  observe(run?: ObserveRun): Promise<O>;
  /** Desired vs observed → changes. Pure: writes nothing anywhere. Empty = converged. */
  plan(observed: O): readonly C[];
  /** Apply exactly `changes` (adds before deletes; no re-planning). Throws on failure. */
  apply(changes: readonly C[]): Promise<void>;
  /** Optional, called once when the run ends, whatever happened (release what observe/apply opened, e.g. a connection). */
  close?(): Promise<void>;
}

/** What the runner tells an observe in progress. */
export interface ObserveRun {
  /**
   * Resolves once every dependency has converged and nothing was applied since this
   * observation began — the moment a sequential runner would have started it.
   * Rejects ({@link StaleObservation}) when a dependency failed or something was
   * applied meanwhile: the runner then discards this observation (the component
   * is skipped, or observes again). Call it only where it is awaited.
   */
  ready(): Promise<void>;
}

/** Why {@link ObserveRun.ready} rejected: the observation will be discarded. */
export class StaleObservation extends Error {
  constructor(reason: string) {
    super(`observation discarded: ${reason}`);
  }
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
 * component's read time): every observe starts at once, speculatively, without
 * waiting for its dependencies (observes are read-only, so an early read changes
 * nothing). Plans and applies still happen one at a time in dependency order,
 * and an observation is only used if nothing was applied since it began;
 * otherwise the component observes again first (after its early observe has
 * ended, so a component's own state is never written by a stale one). So the
 * result is exactly the sequential one (every observe sees every earlier
 * apply), and a converged node or `plan` gets the full overlap. A read that
 * must not happen early (a connection leaving the host) awaits
 * {@link ObserveRun.ready}: the point a dependency-ordered start would have had.
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
    const run: ObserveRun = {
      ready: async () => {
        await Promise.all((c.dependsOn ?? []).map((d) => settled.get(d)!.promise));
        const bad = badDependency(c, reports);
        if (bad) throw new StaleObservation(`dependency ${bad} did not converge`);
        if (applies !== at) throw new StaleObservation('a change was applied while it ran');
      },
    };
    try {
      return { applies: at, t0, observed: await c.observe(run) };
    } catch (error) {
      return { applies: at, t0, error };
    }
  };
  const early = new Map<string, Promise<Seen>>(
    ordered.map((c) => {
      opts.listener?.start?.(c.name);
      return [c.name, observeNow(c, Date.now())];
    }),
  );
  for (const c of ordered) {
    let seen = await early.get(c.name)!;
    const badDep = badDependency(c, reports);
    let report: ComponentReport;
    if (badDep) {
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
