/**
 * The `privroute` commands, each in its own file exporting `register(program)`;
 * the order here is the order `--help` lists them.
 *
 * Loaded lazily: a run imports only the module of the command it invokes (its
 * dependencies, e.g. the appliance for `init`, come with it), so `--version` and
 * light commands do not pay for every command's imports (issue 16: start-up).
 * Help, an unknown command (for commander's suggestion) and no command at all
 * load every module.
 */
import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

/** Command name → its module's loader, in `--help` order. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<CommandModule>]> = [
  ['init', () => import('./init.js')],
  ['plan', () => import('./plan.js')],
  ['add-client', () => import('./add-client.js')],
  ['list-clients', () => import('./list-clients.js')],
  ['show-client', () => import('./show-client.js')],
  ['revoke-client', () => import('./revoke-client.js')],
  ['disable-client', () => import('./disable-client.js')],
  ['enable-client', () => import('./enable-client.js')],
  ['doctor', () => import('./doctor.js')],
  ['status', () => import('./status.js')],
  ['rotate', () => import('./rotate.js')],
  ['rotate-client', () => import('./rotate-client.js')],
  ['history', () => import('./history.js')],
  ['flows', () => import('./flows.js')],
  ['daemon', () => import('./daemon.js')],
  ['lab', () => import('./lab.js')],
  ['config', () => import('./config.js')],
  ['hook', () => import('./hook.js')],
  ['teardown', () => import('./teardown.js')],
];

/** Every command name, in `--help` order. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map(([n]) => n);

/** Global options that take a value as the next argument (so it is not the command name). */
const VALUE_OPTIONS = new Set(['--config', '--state-dir', '--log-level']);

/**
 * Which commands a run with `argv` needs (pure): the invoked command only; none for
 * a bare `--version`/`-V`; every command otherwise (help, unknown command, none).
 */
export function commandsFor(argv: readonly string[]): readonly string[] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return COMMAND_NAMES.includes(a) ? [a] : COMMAND_NAMES;
  }
  const version = argv.includes('--version') || argv.includes('-V');
  const help = argv.includes('--help') || argv.includes('-h');
  return version && !help ? [] : COMMAND_NAMES;
}

/** Register the commands named in `names` (default: all) on `program`, in `--help` order. Imports their modules. */
export async function registerCommands(program: Command, names: readonly string[] = COMMAND_NAMES): Promise<void> {
  const mods = await Promise.all(COMMANDS.filter(([n]) => names.includes(n)).map(([, load]) => load()));
  for (const m of mods) m.register(program);
}
