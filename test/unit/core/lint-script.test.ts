/**
 * scripts/lint.mjs must catch each rule's violation and accept clean code
 * (run against a temporary tree, so the real repository's state does not matter).
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../../../src/host/local.js';

const LINT = fileURLToPath(new URL('../../../scripts/lint.mjs', import.meta.url));

async function lint(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const root = mkdtempSync(path.join(tmpdir(), 'prlint-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  const r = await spawnArgv('local', [process.execPath, LINT, root], { okCodes: [0, 1] });
  return { code: r.code, out: r.stdout };
}

test('clean code passes', async (t) => {
  const r = await lint({
    'src/a/ok.ts': "/** Does x. */\nexport function x(): void {\n  db.exec('SELECT 1'); // method call, not child_process\n}\nconst m = 'run ovs-vsctl init first';\n",
    'src/lab/w.ts': "/** Witness. */\nexport async function dump(): Promise<void> {\n  await spawnArgv('lab', ['ovs-ofctl', 'dump-flows', 'br0']);\n}\n",
  });
  t.is(r.code, 0, r.out);
});

const violations: [string, string, RegExp][] = [
  ['exec import', "import { exec } from 'node:child_process';\n", /no-shell/],
  ['execSync call', "const x = execSync('ls');\n", /no-shell/],
  ['shell: true', "spawn('ls', [], { shell: true });\n", /no-shell: shell: true/],
  ['spawning bash', "spawn('bash', ['-c', 'ls']);\n", /no-shell: spawning a shell/],
  ['ovs-vsctl outside src/lab', "await spawnArgv('x', ['ovs-vsctl', 'show']);\n", /no-ovs-cli/],
  ['missing doc comment', 'export function undocumented(): void {}\n', /doc-comment: exported function undocumented/],
  ['missing class doc comment', 'export class Bare {}\n', /doc-comment: exported class Bare/],
  ['file over 400 lines', '/** x */\nexport const a = 1;\n' + '\n'.repeat(401), /file-length/],
];

for (const [title, text, re] of violations) {
  test(`flags: ${title}`, async (t) => {
    const r = await lint({ 'src/x/bad.ts': text });
    t.is(r.code, 1);
    t.regex(r.out, re);
  });
}

test('flags: an import cycle between src/ folders (through a third folder too)', async (t) => {
  const doc = (name: string, imp: string) => `${imp}\n/** ${name}. */\nexport function ${name}(): void {}\n`;
  const r = await lint({
    'src/a/x.ts': doc('x', "import { y } from '../b/y.js';"),
    'src/b/y.ts': doc('y', "import type { z } from '../c/z.js';"),
    'src/c/z.ts': doc('z', "export { x } from '../a/x.js';"),
  });
  t.is(r.code, 1);
  t.regex(r.out, /folder-cycle: a -> b -> c -> a/);
  t.regex(r.out, /src\/c\/z\.ts:1/);
});

test('a layered folder graph passes (a -> b, a -> c, b -> c)', async (t) => {
  const r = await lint({
    'src/a/x.ts': "import { y } from '../b/y.js';\nimport { z } from '../c/z.js';\n",
    'src/b/y.ts': "import { z } from '../c/z.js';\n",
    'src/c/z.ts': 'const z = 1;\n',
  });
  t.is(r.code, 0, r.out);
});
