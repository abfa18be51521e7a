/**
 * The CLI's error printer and exit-code mapping. One place decides how an error
 * looks to the user: the message, then `hint: ...` when there is one.
 */
import { CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_FAILURE, isPrivrouteError } from '../core/errors.js';
import { redactDeep, redactText } from '../core/redact.js';

/** Exit code for any error: privroute errors carry theirs; commander usage errors are 2; anything else 1. */
export function exitCodeOf(e: unknown): number {
  if (isPrivrouteError(e)) return e.exitCode;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    // Usage errors (unknown option/command, missing argument, no command at all:
    // commander shows help with exit code 1) are bad input.
    return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  }
  return EXIT_FAILURE;
}

/** JSON shape of an error in --json mode. */
export function errorJson(e: unknown): Record<string, unknown> {
  if (isPrivrouteError(e)) {
    const problems = (e as { problems?: unknown }).problems;
    // Message, hint and problems (their values) all pass the one redaction.
    return redactDeep({ error: { code: e.code, message: e.message, hint: e.hint, ...(problems ? { problems } : {}) } }) as Record<string, unknown>;
  }
  return { error: { code: 'E_INTERNAL', message: redactText(e instanceof Error ? e.message : String(e)) } };
}

/**
 * Print `e` to `err` (message + `hint: ...`), secrets scrubbed. Unknown errors are
 * labelled internal and print their stack only when `debug` is set. Commander
 * usage errors were already printed by commander and are skipped.
 */
export function printError(e: unknown, err: NodeJS.WritableStream, debug = false): void {
  if (e instanceof CommanderError) return;
  if (isPrivrouteError(e)) {
    err.write(redactText(e.message) + '\n');
    if (e.hint) err.write(`hint: ${redactText(e.hint)}\n`);
    if (debug && e.cause instanceof Error && e.cause.stack) err.write(redactText(e.cause.stack) + '\n');
    return;
  }
  const msg = e instanceof Error ? e.message : String(e);
  err.write(`privroute: internal error: ${redactText(msg)}\n`);
  if (debug && e instanceof Error && e.stack) err.write(redactText(e.stack) + '\n');
  else err.write('hint: rerun with --log-level debug for the stack trace, and report it\n');
}
