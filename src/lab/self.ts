/**
 * argv prefixes that run privroute's own scripts in a child process, from the
 * build (dist/…/*.js) or from source (src/…/*.ts through tsx), whichever this
 * module was loaded from. The lab uses them to run the real `privroute` CLI and
 * the WARP API stand-in inside lab namespaces.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

/** argv that runs the module at `rel` (relative to src/, without extension). */
export function scriptArgv(rel: string): string[] {
  const file = path.resolve(here, '..', `${rel}.${fromSource ? 'ts' : 'js'}`);
  // Resolve tsx from here, not from the child's cwd (the lab runs children anywhere).
  return fromSource ? [process.execPath, '--import', import.meta.resolve('tsx'), file] : [process.execPath, file];
}

/** argv of the `privroute` CLI. */
export function cliArgv(): string[] {
  return scriptArgv('cli/main');
}
