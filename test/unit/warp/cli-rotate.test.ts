/**
 * `privroute rotate <what>` dispatch (in-process CLI). Only paths that stop before
 * touching any host are exercised here; the full rotation is in the integration test.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../src/cli/program.js';
import { StateStore } from '../../../src/state/store.js';
import { memoryIo } from '../cli/_io.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prwarpcli-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function configFile(warp: Record<string, unknown>): string {
  const seed = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8')) as { plugins: { privacy_router: Record<string, Record<string, unknown>> } };
  seed.plugins.privacy_router.warp = { ...seed.plugins.privacy_router.warp, ...warp };
  const f = path.join(tmp, `config-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(seed));
  return f;
}

const stateDir = path.join(tmp, 'state');
test.before(() => StateStore.open(stateDir, { create: true }).close());

test('rotate warp with no device yet: exit 1, says to run init', async (t) => {
  const io = memoryIo();
  const code = await run(['--config', configFile({}), '--state-dir', stateDir, 'rotate', 'warp'], io);
  t.is(code, 1);
  t.regex(io.err.text, /no WARP device to rotate yet/);
  t.regex(io.err.text, /privroute init/);
});

test('rotate warp with an imported wgcf profile: exit 2 naming warp.wgcf_config', async (t) => {
  const prof = path.join(tmp, 'wgcf-profile.conf');
  writeFileSync(prof, '');
  const io = memoryIo();
  const code = await run(['--config', configFile({ wgcf_config: prof }), '--state-dir', stateDir, 'rotate', 'warp'], io);
  t.is(code, 2);
  t.regex(io.err.text, /plugins\.privacy_router\.warp\.wgcf_config/);
});

test('rotate mac --dry-run changes nothing; an unknown kind is bad input (exit 2)', async (t) => {
  const io = memoryIo();
  t.is(await run(['--config', configFile({}), '--state-dir', stateDir, 'rotate', 'mac', '--dry-run'], io), 0, io.err.text);
  t.regex(io.out.text + io.err.text, /MAC|mac/);
  const io2 = memoryIo();
  t.is(await run(['--config', configFile({}), '--state-dir', stateDir, 'rotate', 'bogus'], io2), 2);
  t.regex(io2.err.text, /one of warp, xray, mac/);
});
