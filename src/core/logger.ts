/**
 * Logging: one pino root logger, child loggers per component, and redaction of
 * every secret-shaped field and value. Secrets must never reach a log line even
 * when a caller logs a whole object by mistake.
 */
import { pino, type Logger } from 'pino';

/** Field names whose values are always replaced, at any depth up to 3. */
export const SECRET_KEYS = [
  'privateKey', 'private_key', 'presharedKey', 'preshared_key', 'psk',
  'token', 'accessToken', 'access_token', 'password', 'license', 'uuid', 'id_uuid',
  'secret', 'key_data', 'shortId', 'short_id', 'shortIds',
] as const;

const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

// Value patterns: a WireGuard/X25519 key (44 chars std base64 or 43 RawURL), and a UUID.
const KEY_RE = /\b[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])|\b[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const UUID_RE = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// A WARP+ license key: three groups of 8 alphanumerics (`1a2B3c4D-5e6F7g8H-9i0J1k2L`).
const LICENSE_RE = /\b[A-Za-z0-9]{8}-[A-Za-z0-9]{8}-[A-Za-z0-9]{8}\b/g;

/** Replace key-, UUID- and license-shaped substrings of free text (messages, stderr) with `<redacted>`. */
export function redactText(s: string): string {
  return s.replace(UUID_RE, '<redacted-uuid>').replace(LICENSE_RE, '<redacted-license>').replace(KEY_RE, '<redacted-key>');
}

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
      redact: { paths, censor: '<redacted>' },
      hooks: {
        // Free-text messages may embed secrets (stderr of a failed command): scrub them too.
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
      serializers: {
        err: (e: unknown) => {
          const ser = pino.stdSerializers.err(e as Error);
          if (ser && typeof ser.message === 'string') ser.message = redactText(ser.message);
          if (ser && typeof ser.stack === 'string') ser.stack = redactText(ser.stack);
          return ser;
        },
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
