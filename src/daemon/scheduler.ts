/**
 * The daemon's scheduler: named jobs on cron expressions (node-cron), run one
 * at a time (a mutex across ALL jobs: a rotation never overlaps a repair), each
 * run recorded (runs, failures, last success, last error, last result). A
 * failing job is logged and recorded; it never throws out of the scheduler. A
 * job already running or waiting is not queued twice (the tick is counted as
 * skipped), so a slow job cannot build a backlog.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { InputError, type InputProblem } from '../core/errors.js';
import { Mutex } from './mutex.js';

/** One job: a name, when, and what (the result is recorded; it must hold no secrets). */
export interface JobSpec {
  name: string;
  /** node-cron expression (5 fields, or 6 with seconds). */
  cron: string;
  run: () => Promise<unknown>;
}

/** What the scheduler knows about one job. */
export interface JobRecord {
  name: string;
  cron: string;
  runs: number;
  failures: number;
  /** Ticks dropped because the job was already running or waiting. */
  skipped: number;
  running: boolean;
  lastStart: string | null;
  lastEnd: string | null;
  lastSuccess: string | null;
  lastError: string | null;
  /** Outcome of the last run: 'ok' | 'failed' | null (never ran). */
  lastOutcome: 'ok' | 'failed' | null;
  lastResult: unknown;
}

/** Observer of job runs (metrics). */
export interface JobListener {
  (rec: JobRecord, ok: boolean): void;
}

/** Validate every job's cron expression; InputError naming each bad one. */
export function validateSchedules(jobs: readonly Pick<JobSpec, 'name' | 'cron'>[], keyPrefix = 'plugins.privacy_router.daemon.schedules'): void {
  const problems: InputProblem[] = [];
  for (const j of jobs) {
    const v = cron.validateDetailed(j.cron);
    if (!v.valid) problems.push({ path: `${keyPrefix}.${j.name}`, value: j.cron, expected: `a cron expression (${v.errors.map((e) => e.message).join('; ') || 'unparseable'}), e.g. "*/5 * * * *"` });
  }
  if (problems.length) throw new InputError(problems);
}

/** Run-serializing cron scheduler; see the module comment. */
export class Scheduler {
  private readonly mutex = new Mutex();
  private readonly records = new Map<string, JobRecord>();
  private readonly specs = new Map<string, JobSpec>();
  private readonly pending = new Set<string>();
  private tasks: ScheduledTask[] = [];
  private readonly taskOf = new Map<string, ScheduledTask>();
  private stopped = false;

  constructor(
    jobs: readonly JobSpec[],
    private readonly opts: { logger?: Logger; onRun?: JobListener; now?: () => Date } = {},
  ) {
    validateSchedules(jobs);
    for (const j of jobs) {
      if (this.specs.has(j.name)) throw new Error(`duplicate job ${j.name}`);
      this.specs.set(j.name, j);
      this.records.set(j.name, { name: j.name, cron: j.cron, runs: 0, failures: 0, skipped: 0, running: false, lastStart: null, lastEnd: null, lastSuccess: null, lastError: null, lastOutcome: null, lastResult: null });
    }
  }

  private now(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  /** Start the cron tasks (each tick calls {@link trigger}). */
  start(): void {
    const log = this.opts.logger;
    const cronLogger = {
      info: (m: string) => log?.debug({ src: 'node-cron' }, m),
      warn: (m: string) => log?.warn({ src: 'node-cron' }, m),
      error: (m: string | Error) => log?.error({ src: 'node-cron' }, String(m)),
      debug: (m: string | Error) => log?.debug({ src: 'node-cron' }, String(m)),
    };
    for (const j of this.specs.values()) {
      const t = cron.createTask(j.cron, () => void this.trigger(j.name), { name: `privroute-${j.name}`, logger: cronLogger });
      void t.start();
      this.tasks.push(t);
      this.taskOf.set(j.name, t);
    }
  }

  /**
   * Run job `name` now (serialized with every other job). Resolves with its
   * record after the run, or at once (skipped) if it is already running/waiting
   * or the scheduler is stopped. Never rejects.
   */
  async trigger(name: string): Promise<JobRecord> {
    const spec = this.specs.get(name);
    const rec = this.records.get(name);
    if (!spec || !rec) throw new Error(`unknown job ${name}`);
    if (this.stopped || this.pending.has(name)) {
      rec.skipped++;
      return { ...rec };
    }
    this.pending.add(name);
    return this.mutex.run(async () => {
      const log = this.opts.logger?.child({ job: name });
      rec.running = true;
      rec.lastStart = this.now();
      log?.info('job started');
      let ok = false;
      try {
        rec.lastResult = (await spec.run()) ?? null;
        rec.lastSuccess = this.now();
        rec.lastError = null;
        ok = true;
        log?.info('job succeeded');
      } catch (e) {
        rec.failures++;
        rec.lastError = (e as Error)?.message ?? String(e);
        rec.lastResult = null;
        log?.error({ err: e }, 'job failed');
      } finally {
        rec.runs++;
        rec.running = false;
        rec.lastEnd = this.now();
        rec.lastOutcome = ok ? 'ok' : 'failed';
        this.pending.delete(name);
      }
      try {
        this.opts.onRun?.({ ...rec }, ok);
      } catch (e) {
        log?.warn({ err: e }, 'job listener failed');
      }
      return { ...rec };
    });
  }

  /**
   * Run `fn` under the jobs' lock (after any running or waiting job, before any
   * later one): the dashboard's client actions never interleave with a repair
   * or a rotation. Resolves/rejects with `fn`; not recorded as a job run.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn);
  }

  /** When job `name` runs next by its cron (null: not started, stopped or unknown). */
  nextRun(name: string): Date | null {
    return this.stopped ? null : (this.taskOf.get(name)?.getNextRun() ?? null);
  }

  /** Snapshot of every job's record. */
  jobs(): JobRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  /** One job's record. */
  job(name: string): JobRecord | undefined {
    const r = this.records.get(name);
    return r ? { ...r } : undefined;
  }

  /** Stop the cron tasks, drop further ticks, and wait for the running job to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    this.taskOf.clear();
    await this.mutex.run(async () => undefined);
  }
}
