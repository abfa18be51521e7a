/**
 * Builds the `privroute` commander program and runs it with injectable IO, so
 * tests can drive the CLI in-process and check output and exit codes.
 */
import { Command, CommanderError, Option } from 'commander';
import { attachIo, type CliIo } from './io.js';
import { errorJson, exitCodeOf, printError } from './errors.js';
import { isPrivrouteError } from '../core/errors.js';
import { commandsFor, registerCommands } from './commands/index.js';
import { DEFAULT_STATE_DIR } from '../state/paths.js';

import { VERSION } from './version.js';

export { VERSION };

/** Log levels accepted by --log-level (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A fresh program with the global options, no command registered yet (see
 * {@link registerCommands}: commands are imported lazily, only those a run needs).
 * Side effects: none until parsed. Usage errors throw CommanderError (exitOverride).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('privroute');
  program
    .description('Turn a Proxmox node into a multi-hop privacy appliance: WireGuard -> XRay -> WARP -> VPS, wired by OpenFlow.')
    .version(VERSION)
    .option('--config <file>', 'config file (default: $PRIVROUTE_CONFIG, then /etc/privroute/config.json)')
    .option('--state-dir <dir>', `state directory (default: $PRIVROUTE_STATE_DIR, then ${DEFAULT_STATE_DIR})`)
    .option('--json', 'print data as JSON on stdout', false)
    .addOption(new Option('--log-level <level>', 'log level, logs go to stderr (default: $PRIVROUTE_LOG_LEVEL, then warn)').choices(LOG_LEVELS))
    .showSuggestionAfterError(true)
    // Defaults of --state-dir/--log-level come from the run's env in CliContext (not
    // commander's .env(), which would read process.env and ignore injected IO).
    // Inherited by every subcommand created with .command(): usage errors throw instead of exiting.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
    });
  attachIo(program, io);
  return program;
}

/**
 * Run the CLI with `argv` (without node and script), writing to `io`.
 * Returns the exit code: 0 ok, 1 failure, 2 bad input. Never calls process.exit.
 */
export async function run(argv: readonly string[], io: CliIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const program = buildProgram(io);
  // Only the invoked command's module (and what it imports) is loaded: start-up time.
  await registerCommands(program, commandsFor(argv));
  return runProgram(program, argv, io);
}

/**
 * Parse and run an already built `program` (from {@link buildProgram}, possibly
 * with extra commands in tests). Returns the exit code; errors are printed to io.err
 * (and, with --json, as JSON on io.out).
 */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    // Global options as far as commander got before the error.
    const o = program.opts<{ json?: boolean; logLevel?: string }>();
    const json = o.json === true || argv.includes('--json');
    const level = o.logLevel ?? io.env.PRIVROUTE_LOG_LEVEL;
    const debug = level === 'debug' || level === 'trace';
    // A failure whose result is already on stdout keeps stdout one JSON document.
    const reported = isPrivrouteError(e) && e.reported;
    if (!(e instanceof CommanderError) && json && !reported) io.out.write(JSON.stringify(errorJson(e), null, 2) + '\n');
    printError(e, io.err, debug);
    return exitCodeOf(e);
  }
}
