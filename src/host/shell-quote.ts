/**
 * The ONE place where an argv is turned into a command line for a POSIX shell.
 *
 * Only the SSH executor needs it: an SSH "exec" request carries a single string
 * that the remote user's login shell (sh, dash, bash, zsh, ksh) parses. Every
 * other executor passes argv straight to execve. Nothing else in privroute may
 * build a shell string.
 */
import { InputError } from '../core/errors.js';

/**
 * Quote one argv element for a POSIX shell: wrap it in single quotes and turn
 * each embedded `'` into `'\''` (close quote, escaped quote, reopen quote).
 * Inside single quotes a POSIX shell interprets nothing — no `$`, backtick,
 * backslash, glob, tilde, or newline handling — so the element arrives as-is.
 * The empty string becomes `''` so it stays an (empty) argument.
 */
function quoteOne(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quote `argv` for a POSIX remote shell; the result, parsed by sh, yields
 * exactly `argv` again (element boundaries and bytes preserved).
 *
 * Every element is quoted, even "safe" ones: a bare `A=b` in command position is
 * an assignment, a bare `~x` is expanded, and a rule with exceptions is a rule
 * with bugs. Not suitable for csh/fish login shells (documented limitation).
 *
 * @throws InputError when argv is empty or an element contains a NUL byte (a C
 *   string, hence an exec argument, cannot carry one; the remote would truncate).
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new InputError({ path: 'argv', value: [], expected: 'expected at least one element (the command)' });
  }
  const problems = argv.flatMap((a, i) =>
    a.includes('\0')
      ? [{ path: `argv[${i}]`, value: a.replace(/\0/g, '\\0'), expected: 'expected no NUL byte (it cannot be passed to a remote command)' }]
      : [],
  );
  if (problems.length > 0) throw new InputError(problems);
  return argv.map(quoteOne).join(' ');
}

/**
 * A POSIX sh script that runs each argv of `commands` in turn (stdin from
 * /dev/null, whatever the previous one's exit code) and frames its output with
 * `nonce` markers on both streams, so one remote exec yields every command's
 * stdout, stderr and exit code (src/host/batch.ts parses it). Built only from
 * {@link quoteArgv}'d argv and fixed text; `nonce` must be [0-9a-f]+.
 *
 * Per command i: stdout gets `<nonce> <i>\n`, the command's stdout, then
 * `\n<nonce> <i> rc <code>\n`; stderr gets `<nonce> <i>\n`, its stderr, then `\n<nonce> <i> end\n`.
 */
export function batchScript(commands: readonly (readonly string[])[], nonce: string): string {
  if (!/^[0-9a-f]{8,}$/.test(nonce)) throw new InputError({ path: 'nonce', value: nonce, expected: 'expected at least 8 hex digits' });
  return commands
    .map((argv, i) => {
      const m = `'${nonce} ${i}'`;
      return `printf '%s\\n' ${m}; printf '%s\\n' ${m} >&2; ${quoteArgv(argv)} </dev/null; printf '\\n%s rc %s\\n' ${m} "$?"; printf '\\n%s end\\n' ${m} >&2`;
    })
    .join('\n');
}
