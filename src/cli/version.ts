/** privroute's version (a leaf module, so `privroute --version` loads nothing else). */

/** Version printed by `privroute --version`. */
export const VERSION = '0.1.0';

/** True when argv asks only for the version (`--version` / `-V`, nothing else). Pure. */
export function onlyVersion(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
}
