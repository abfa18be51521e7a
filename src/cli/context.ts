/**
 * The per-invocation CLI context shared by every command: global options, output
 * streams, and lazily loaded config and state store.
 *
 * Commands never load config or open the store themselves: they ask the context,
 * so a command that needs neither (e.g. `--help`, `lab`) never fails because
 * /etc/privroute/config.json or /var/lib/privroute is missing.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { loadConfigWithPath } from '../config/load.js';
import { createLogger } from '../core/logger.js';
import { progress, type Progress } from '../core/progress.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareStateDir } from '../state/dir.js';
import { acquireStateLock, lockWaitMs, type StateLock } from '../state/lock.js';
import { DB_FILE, DEFAULT_STATE_DIR, noStoreError, StateStore } from '../state/store.js';
import { ioOf, type CliIo } from './io.js';

/** Global options, as commander parses them (`optsWithGlobals()`). */
export interface GlobalOptions {
  /** `--config <file>`. */
  config?: string;
  /** `--state-dir <dir>`; default /var/lib/privroute (or $PRIVROUTE_STATE_DIR). */
  stateDir: string;
  /** `--json`: print data as JSON on stdout. */
  json: boolean;
  /** `--log-level <level>`. */
  logLevel?: string;
}

export { attachIo, type CliIo } from './io.js';

/** What a command gets: options, output, and lazy config/store/logger. */
export class CliContext {
  readonly opts: GlobalOptions;
  readonly io: CliIo;
  private cfg?: { config: Config; path: string };
  private st?: StateStore;
  private lk?: StateLock;
  private log?: Logger;

  constructor(opts: GlobalOptions, io: CliIo) {
    this.opts = opts;
    this.io = io;
  }

  /** Build the context for the command being run (reads its merged global options). */
  static fromCommand(cmd: Command): CliContext {
    const io = ioOf(cmd);
    const o = cmd.optsWithGlobals<Partial<GlobalOptions>>();
    return new CliContext(
      {
        config: o.config,
        stateDir: o.stateDir ?? io.env.PRIVROUTE_STATE_DIR ?? DEFAULT_STATE_DIR,
        json: o.json === true,
        logLevel: o.logLevel,
      },
      io,
    );
  }

  /**
   * The validated, frozen config (loaded on first use: --config, then
   * $PRIVROUTE_CONFIG, then /etc/privroute/config.json). Throws InputError (exit 2).
   */
  get config(): Config {
    return this.loadedConfig().config;
  }

  /** The path the config was loaded from. Loads the config if not yet loaded. */
  get configPath(): string {
    return this.loadedConfig().path;
  }

  private loadedConfig(): { config: Config; path: string } {
    this.cfg ??= loadConfigWithPath({ file: this.opts.config, env: this.io.env });
    return this.cfg;
  }

  /**
   * The state store in --state-dir, opened (and migrated) on first use. With
   * `create: true` (init) a missing store is created; otherwise a missing store is
   * a StateError telling the user to run init. Closed by {@link close}.
   */
  store(opts: { create?: boolean } = {}): StateStore {
    this.st ??= StateStore.open(this.opts.stateDir, { create: opts.create ?? false });
    return this.st;
  }

  /**
   * The state store if one exists in --state-dir (opened on first use), else null:
   * for read-only commands that work before `init` (nothing is created).
   */
  existingStore(): StateStore | null {
    return this.st ?? (StateStore.exists(this.opts.stateDir) ? this.store() : null);
  }

  /** The root logger for this run (stderr, redacting), honoring --log-level. */
  get logger(): Logger {
    this.log ??= createLogger({ level: this.opts.logLevel ?? this.io.env.PRIVROUTE_LOG_LEVEL ?? 'warn', destination: this.io.err });
    return this.log;
  }

  /**
   * A step reporter for long operations, writing to stderr (stdout stays for
   * data). Silent with --json: put `p.records` into the JSON output instead.
   */
  progress(): Progress {
    return progress(this.io.err, { json: this.opts.json });
  }

  /** Write a line (adds the newline) to stdout. */
  println(line = ''): void {
    this.io.out.write(line + '\n');
  }

  /**
   * Print data: as pretty JSON with --json, otherwise the human text `human()`
   * returns (lazily, so no formatting work is done in JSON mode).
   */
  output(data: unknown, human: () => string): void {
    if (this.opts.json) this.println(JSON.stringify(data, jsonReplacer, 2));
    else this.println(human());
  }

  /**
   * Take the state lock (src/state/lock.ts) for `command`, waiting at most
   * $PRIVROUTE_LOCK_WAIT seconds (default 60) and saying on stderr whom it waits
   * for. With `create` (init) a missing state dir is created; otherwise a missing
   * store is the usual "no state store" StateError and nothing is created.
   * Released by {@link close}.
   */
  async lockState(command: string, opts: { create?: boolean } = {}): Promise<void> {
    if (this.lk) return;
    const dir = this.opts.stateDir;
    const waitMs = lockWaitMs(this.io.env);
    const create = opts.create ?? false;
    if (!prepareStateDir(dir, { create }) || (!create && !existsSync(path.join(dir, DB_FILE)))) throw noStoreError(dir);
    this.lk = await acquireStateLock(dir, {
      command,
      waitMs,
      onWait: (h) => this.io.err.write(`waiting up to ${waitMs / 1000} s for another privroute (pid ${h?.pid ?? '?'}, command ${h?.command ?? '?'})\n`),
    });
  }

  /** Release the store (if opened), then the state lock (if held). Safe to call twice. */
  close(): void {
    try {
      this.st?.close();
    } finally {
      this.st = undefined;
      this.lk?.release();
      this.lk = undefined;
    }
  }
}

/** JSON.stringify replacer: bigint as decimal string (cookies, counters). */
function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** How {@link action} prepares a command before its body runs. */
export interface ActionOptions {
  /**
   * Pure checks of the arguments and options (InputError, exit 2). Run first:
   * before the config, the state dir or the lock, so bad input is exit 2
   * whatever the node's state.
   */
  validate?: (cmd: Command, ctx: CliContext) => void;
  /**
   * Take the state lock for the whole body (mutating commands): `true`, `'create'`
   * (init: may create the state dir), or a function of the parsed command
   * (`flows` only with --apply). The config is loaded (validated) before it.
   */
  lock?: boolean | 'create' | ((cmd: Command) => boolean);
}

/** `rotate warp`, `add-client alice`: the command as the lock file records it for waiters. */
function commandLine(cmd: Command): string {
  return [cmd.name(), ...cmd.args].join(' ');
}

/**
 * Wrap a command body as a commander action: builds the {@link CliContext},
 * validates the arguments, loads the config and takes the state lock when asked
 * (see {@link ActionOptions}), runs `fn`, and always closes the store and
 * releases the lock. Errors propagate to `run()`, which prints them and maps
 * them to exit codes.
 */
export function action(fn: (ctx: CliContext, cmd: Command) => Promise<void> | void, o: ActionOptions = {}): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const ctx = CliContext.fromCommand(cmd);
    try {
      o.validate?.(cmd, ctx);
      const lock = typeof o.lock === 'function' ? o.lock(cmd) : (o.lock ?? false);
      if (lock) {
        void ctx.config; // a bad config is bad input (exit 2): checked before the state dir is touched
        await ctx.lockState(commandLine(cmd), { create: lock === 'create' });
      }
      await fn(ctx, cmd);
    } finally {
      ctx.close();
    }
  };
}
