#!/usr/bin/env node
/**
 * The `privroute` executable. All logic lives in program.ts; this file only
 * connects it to the real process and sets the exit code.
 *
 * `privroute --version` alone is answered here without loading commander or any
 * command (start-up budget 150 ms, issue 16); the output is commander's own
 * (`<version>\n`, exit 0). Everything else goes through program.ts, which imports
 * only the invoked command's module.
 *
 * From source: `node --import tsx src/cli/main.ts --help`.
 * Built: `npx tsc -p . && node dist/src/cli/main.js --help`.
 */
import { onlyVersion, VERSION } from './version.js';

const argv = process.argv.slice(2);
if (onlyVersion(argv)) process.stdout.write(VERSION + '\n');
else process.exitCode = await (await import('./program.js')).run(argv);
