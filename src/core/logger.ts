/**
 * Logging: one pino root logger, child loggers per component, and redaction of
 * every secret-named field and secret-shaped value at any depth
 * (src/core/redact.ts). Secrets must never reach a log line even when a caller
 * logs a whole object by mistake.
 */
import { pino, type Logger } from 'pino';
import { redactDeep, redactText } from './redact.js';

export { SECRET_KEYS, redactText } from './redact.js';

export interface LoggerOptions {
  level?: string;
  /** Destination stream; default stderr so stdout stays clean for `--json`. */
  destination?: NodeJS.WritableStream;
}

/** Create the root logger. Logs go to stderr by default. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.PRIVROUTE_LOG_LEVEL ?? 'info',
      formatters: {
        // Every field of every line, at any depth: secret names censored, secret shapes scrubbed (src/core/redact.ts).
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
        bindings: (b) => redactDeep(b) as Record<string, unknown>,
      },
      hooks: {
        // Free-text messages may embed secrets (stderr of a failed command): scrub them too.
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
      serializers: {
        // The whole error (stdout/stderr of an ExecError, its causes), not only message and stack.
        err: (e: unknown) => redactDeep(e instanceof Error ? pino.stdSerializers.err(e) : e),
      },
    },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}

let root: Logger | undefined;

/** The process-wide root logger (created on first use). */
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** A child logger for one component (`ovs`, `tunnel`, `warp`, ...). */
export function componentLogger(component: string, parent: Logger = rootLogger()): Logger {
  return parent.child({ component });
}
