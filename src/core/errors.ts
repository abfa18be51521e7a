/**
 * privroute's error hierarchy.
 *
 * Every error the product raises on purpose is a {@link PrivrouteError}: it has a
 * stable `code`, a human `hint` saying how to fix it, an optional `cause`, and the
 * process exit code the CLI should use. Exit codes: 0 success, 1 failure,
 * 2 bad input (config, arguments, names). Nothing else leaks out of `core`.
 */

const BRAND = Symbol.for('privroute.error');

/** Exit code for a failure that is not the user's input. */
export const EXIT_FAILURE = 1;
/** Exit code for bad input: config, arguments, names. */
export const EXIT_BAD_INPUT = 2;

export interface PrivrouteErrorOptions {
  /** What the user can do about it. Shown after the message. */
  hint?: string;
  /** The underlying error, kept for `--debug` output and logs. */
  cause?: unknown;
  /**
   * The command already printed its result (with `--json`, as the one JSON
   * document on stdout) and fails only to set the exit code: the CLI then prints
   * the message on stderr but no second JSON document on stdout.
   */
  reported?: boolean;
}

/** Base class of all privroute errors. Use {@link isPrivrouteError} to test. */
export class PrivrouteError extends Error {
  readonly [BRAND] = true;
  /** Stable machine-readable code, e.g. `E_CONFIG`. */
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;
  /** See {@link PrivrouteErrorOptions.reported}. */
  readonly reported: boolean;

  constructor(code: string, message: string, opts: PrivrouteErrorOptions = {}, exitCode = EXIT_FAILURE) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = exitCode;
    this.reported = opts.reported === true;
  }
}

/** True for any error created by this hierarchy, across module copies. */
export function isPrivrouteError(e: unknown): e is PrivrouteError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** One problem found while validating input: where, what was seen, what is expected. */
export interface InputProblem {
  /** Dotted key path (`plugins.privacy_router.xray.socks_port`) or argument name. */
  path: string;
  /** The offending value, already redacted if secret. */
  value?: unknown;
  /** What is expected instead, phrased as the fix. */
  expected: string;
}

/** Render one problem as `path: got <value>; expected ...`. */
export function formatProblem(p: InputProblem): string {
  const got = p.value === undefined ? 'missing' : JSON.stringify(p.value);
  return `${p.path}: got ${got}; ${p.expected}`;
}

/**
 * Bad input (config, CLI arguments, client names). Carries every problem found so
 * the user can fix them all in one go. Exit code 2. Raised before anything is touched.
 */
export class InputError extends PrivrouteError {
  readonly problems: readonly InputProblem[];
  constructor(problems: InputProblem[] | InputProblem, opts: PrivrouteErrorOptions = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    const head = list.length === 1 ? 'invalid input' : `${list.length} problems in input`;
    super('E_INPUT', `${head}:\n${list.map((p) => '  - ' + formatProblem(p)).join('\n')}`, opts, EXIT_BAD_INPUT);
    this.problems = list;
  }
}

/** Something the host must have first (tun device, a binary, root). Exit 1. */
export class PreconditionError extends PrivrouteError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('E_PRECONDITION', message, { hint, cause });
  }
}

/** A remote/API/protocol step failed (OVSDB, OpenFlow, WARP API, SSH). Exit 1. */
export class OperationError extends PrivrouteError {
  /** The component or step, e.g. `ovsdb`, `warp-api`, `vps:install`. */
  readonly step: string;
  constructor(step: string, message: string, opts: PrivrouteErrorOptions = {}) {
    super('E_OPERATION', `${step}: ${message}`, opts);
    this.step = step;
  }
}

/** The state store is missing, corrupt, or locked. Never silently re-created. */
export class StateError extends PrivrouteError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('E_STATE', message, { hint, cause });
  }
}
