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
 */
export async function runComponents(
  components: readonly AnyComponent[],
  opts: { planOnly?: boolean; listener?: RunListener } = {},
): Promise<ComponentReport[]> {
  const reports = new Map<string, ComponentReport>();
  for (const c of orderComponents(components)) {
    const t0 = Date.now();
    opts.listener?.start?.(c.name);
    const badDep = (c.dependsOn ?? []).find((d) => {
      const s = reports.get(d)?.status;
      return s === 'failed' || s === 'skipped';
    });
    let report: ComponentReport;
    if (badDep) {
      report = { name: c.name, status: 'skipped', changes: [], detail: `dependency ${badDep} did not converge`, ms: 0 };
    } else {
      try {
        const observed = await c.observe();
        const changes = c.plan(observed);
        const described = changes.map((x: Change) => x.describe);
        if (changes.length === 0) {
          report = { name: c.name, status: 'unchanged', changes: [], ms: Date.now() - t0 };
        } else if (opts.planOnly) {
          report = { name: c.name, status: 'planned', changes: described, ms: Date.now() - t0 };
        } else {
          await c.apply(changes);
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
  }
  return [...reports.values()];
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
