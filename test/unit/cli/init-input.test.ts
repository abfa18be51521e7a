import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/program.js';
import { memoryIo } from './_io.js';

const SEED = fileURLToPath(new URL('../../fixtures/config/seed.json', import.meta.url));

for (const mode of ['init', 'plan'] as const) {
  test(`${mode} without the VPS SSH key and pinned host key is bad input (exit 2), naming both keys, touching nothing`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pr-init-'));
    const stateDir = path.join(dir, 'state');
    const io = memoryIo();
    t.is(await run(['--config', SEED, '--state-dir', stateDir, mode], io), 2);
    t.regex(io.err.text, /vps\.ssh\.key_file/);
    t.regex(io.err.text, /vps\.ssh\.host_key/);
    t.false(existsSync(stateDir), 'no state store was created');
  });
}

test('init with a flow config error is bad input before anything runs', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-init-'));
  const cfg = JSON.parse(readFileSync(SEED, 'utf8'));
  cfg.plugins.privacy_router.openflow.obfuscation_level = 7;
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(cfg));
  const io = memoryIo();
  t.is(await run(['--config', file, '--state-dir', path.join(dir, 'state'), 'init'], io), 2);
  t.regex(io.err.text, /openflow\.obfuscation_level/);
  t.false(existsSync(path.join(dir, 'state')));
});
