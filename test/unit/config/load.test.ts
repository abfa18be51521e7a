import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, loadConfigWithPath, resolveConfigPath } from '../../../src/config/load.js';
import { requireFields } from '../../../src/config/require.js';
import { InputError } from '../../../src/core/errors.js';
import { SEED_PATH, seed } from './_seed.js';

const dir = mkdtempSync(path.join(tmpdir(), 'prcfg-'));
const alt = path.join(dir, 'alt.json');
const altDoc = seed();
altDoc.plugins.privacy_router.bridge_name = 'altbr';
writeFileSync(alt, JSON.stringify(altDoc));

test('order: explicit file, then PRIVROUTE_CONFIG, then /etc/privroute/config.json', (t) => {
  t.is(resolveConfigPath({ file: SEED_PATH, env: { PRIVROUTE_CONFIG: alt } }), SEED_PATH);
  t.is(resolveConfigPath({ env: { PRIVROUTE_CONFIG: alt } }), alt);
  t.is(resolveConfigPath({ env: {} }), '/etc/privroute/config.json');
  t.is(loadConfig({ env: { PRIVROUTE_CONFIG: alt } }).plugins.privacy_router.bridge_name, 'altbr');
  t.is(loadConfigWithPath({ file: SEED_PATH, env: { PRIVROUTE_CONFIG: alt } }).config.plugins.privacy_router.bridge_name, 'ovsbr0');
});

test('a missing file is bad input naming the path', (t) => {
  const e = t.throws(() => loadConfig({ file: path.join(dir, 'nope.json'), env: {} }), { instanceOf: InputError }) as InputError;
  t.is(e.exitCode, 2);
  t.regex(e.message, /nope\.json/);
  t.regex(e.hint!, /PRIVROUTE_CONFIG/);
});

test('a JSON syntax error is bad input naming the file', (t) => {
  const f = path.join(dir, 'broken.json');
  writeFileSync(f, '{"version": 1,,}');
  const e = t.throws(() => loadConfig({ file: f }), { instanceOf: InputError }) as InputError;
  t.regex(e.message, /broken\.json.*valid JSON/s);
});

test('requireFields names each missing key and the command', (t) => {
  const c = loadConfig({ file: SEED_PATH });
  t.notThrows(() => requireFields(c, ['vps.xray_server', 'wireguard.listen_port'], 'init'));
  const e = t.throws(() => requireFields(c, ['wireguard.endpoint', 'vps.ssh.key_file', 'bridge_name'], 'add-client'), { instanceOf: InputError }) as InputError;
  t.deepEqual(e.problems.map((p) => p.path), ['plugins.privacy_router.wireguard.endpoint', 'plugins.privacy_router.vps.ssh.key_file']);
  t.true(e.problems.every((p) => p.expected.includes('privroute add-client')));
  t.is(e.exitCode, 2);
});
