#!/usr/bin/env node
/**
 * The `privroute` executable. All logic lives in program.ts; this file only
 * connects it to the real process and sets the exit code.
 *
 * From source: `node --import tsx src/cli/main.ts --help`.
 * Built: `npx tsc -p . && node dist/src/cli/main.js --help`.
 */
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
