import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import { run } from '../../../src/cli/program.js';
import { memoryIo } from './_io.js';

const SEED = fileURLToPath(new URL('../../fixtures/config/seed.json', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'prcheck-'));

function writeBroken(): string {
  const f = path.join(dir, 'broken.json');
  const doc = JSON.parse(fs.readFileSync(SEED, 'utf8'));
  doc.plugins.privacy_router.xray.socks_port = 0;
  doc.plugins.privacy_router.containers[1].id = 200;
  doc.plugins.privacy_router.openflow.function_routing[0].target_socket = 'internal_404';
  writeFileSync(f, JSON.stringify(doc));
  return f;
}

test('config check passes the seed: prints "config OK: <path>", exit 0', async (t) => {
  const io = memoryIo();
  t.is(await run(['config', 'check', '--config', SEED], io), 0);
  t.is(io.out.text, `config OK: ${SEED}\n`);
});

test('config check reads PRIVROUTE_CONFIG when --config is absent', async (t) => {
  const io = memoryIo({ PRIVROUTE_CONFIG: SEED });
  t.is(await run(['config', 'check'], io), 0);
  t.is(io.out.text, `config OK: ${SEED}\n`);
});

test('config check --json prints the resolved config', async (t) => {
  const io = memoryIo();
  t.is(await run(['--json', 'config', 'check', '--config', SEED], io), 0);
  const j = JSON.parse(io.out.text);
  t.true(j.ok);
  t.is(j.path, SEED);
  t.is(j.config.plugins.privacy_router.vps.ssh.host, 'vps.example.com');
});

test('config check prints every problem of a broken config and exits 2', async (t) => {
  const f = writeBroken();
  const io = memoryIo();
  t.is(await run(['config', 'check', '--config', f], io), 2);
  t.regex(io.err.text, /3 problems/);
  t.regex(io.err.text, /plugins\.privacy_router\.xray\.socks_port: got 0; expected a port number 1\.\.65535/);
  t.regex(io.err.text, /plugins\.privacy_router\.containers\[1\]\.id: got 200; expected a unique container id/);
  t.regex(io.err.text, /plugins\.privacy_router\.openflow\.function_routing\[0\]\.target_socket: got "internal_404"/);
  t.regex(io.err.text, /hint: /);
});

test('as a real process: exit codes 0 and 2 reach the shell', (t) => {
  const ok = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'config', 'check', '--config', SEED], { encoding: 'utf8' });
  t.is(ok.status, 0, ok.stderr);
  t.is(ok.stdout, `config OK: ${SEED}\n`);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'config', 'check', '--config', writeBroken()], { encoding: 'utf8' });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /socks_port/);
});

// Issue 11 item 5: the chain bridge must fail closed. `standalone` makes OVS fall
// back to MAC learning when no controller is connected: a path around the chain.
test('config check refuses ovs.fail_mode "standalone": exit 2 naming the key and the fix', async (t) => {
  const f = path.join(dir, 'standalone.json');
  const doc = JSON.parse(fs.readFileSync(SEED, 'utf8'));
  doc.plugins.privacy_router.ovs = { ...(doc.plugins.privacy_router.ovs ?? {}), fail_mode: 'standalone' };
  writeFileSync(f, JSON.stringify(doc));
  const io = memoryIo();
  t.is(await run(['config', 'check', '--config', f], io), 2);
  t.regex(io.err.text, /plugins\.privacy_router\.ovs\.fail_mode: got "standalone"; expected "secure"/);
  t.regex(io.err.text, /remove the key or set it to "secure"/);
});

test('config check refuses a group-readable WARP licence file with the chmod fix (exit 2)', async (t) => {
  const lic = path.join(dir, 'warp-license');
  writeFileSync(lic, 'AbCd1234-EfGh5678-IjKl9012\n');
  fs.chmodSync(lic, 0o640);
  const f = path.join(dir, 'exposed-license.json');
  const doc = JSON.parse(fs.readFileSync(SEED, 'utf8'));
  doc.plugins.privacy_router.warp = { ...doc.plugins.privacy_router.warp, enabled: true, license_file: lic };
  writeFileSync(f, JSON.stringify(doc));
  const io = memoryIo();
  t.is(await run(['config', 'check', '--config', f], io), 2);
  t.true(io.err.text.includes(`chmod 600 ${lic}`), io.err.text);
  fs.chmodSync(lic, 0o600);
  t.is(await run(['config', 'check', '--config', f], memoryIo()), 0);
});
