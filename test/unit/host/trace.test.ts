import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../../../src/host/local.js';

const local = fileURLToPath(new URL('../../../src/host/local.ts', import.meta.url));

/** Run `script` (with `m` = src/host/local.ts) in a child Node whose environment is `env`. */
async function child(script: string, env: Record<string, string>): Promise<void> {
  const code = `const m = await import(${JSON.stringify(local)}); ${script}`;
  await spawnArgv('local', [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { env });
}

test('PRIVROUTE_TRACE_EXEC: one JSON line per spawned process (argv with secrets masked, exit code, duration)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'trace.jsonl');
  await child(`await m.spawnArgv('local', ['true']); await m.spawnArgv('local', ['sh', '-c', 'exit 3', 'the-secret'], { okCodes: [3], secretArgs: [3] });`, { PRIVROUTE_TRACE_EXEC: file });
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; code: number; ms: number; target: string });
  t.deepEqual(lines.map((l) => [l.target, l.argv, l.code]), [['local', ['true'], 0], ['local', ['sh', '-c', 'exit 3', '<redacted>'], 3]]);
  t.true(lines.every((l) => Number.isInteger(l.ms) && l.ms >= 0));
});
