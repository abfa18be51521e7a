import test from 'ava';
import { LocalExec } from '../../../src/host/local.js';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { isPrivrouteError } from '../../../src/core/errors.js';
import { assertProfileSupported, detectEngine, parseEngineBanner, runArgv, supportsProfile, testArgv } from '../../../src/xray/engine.js';
import { binarySkipReason } from '../../helpers/env.js';
import { V2RAY, XRAY } from './golden.js';

// Measured output of Debian bookworm's package (the real binary is used below when present).
const V2RAY_434_BANNER = 'V2Ray 4.34.0 (user) 20230518-074445 (go1.19.8 linux/amd64)\nA unified platform for anti-censorship.\n';

test('parses the measured v2ray 4.34 and an Xray banner', (t) => {
  t.like(parseEngineBanner(V2RAY_434_BANNER, 'v2ray'), { kind: 'v2ray', version: '4.34.0' });
  t.like(parseEngineBanner('Xray 25.3.6 (Xray, Penetrates Everything.) 8c4a2ae (go1.24.1 linux/amd64)\n', '/usr/local/bin/xray'), { kind: 'xray', version: '25.3.6', binary: '/usr/local/bin/xray' });
  t.is(parseEngineBanner('sing-box version 1.9.0', 'x'), null);
});

const skipV2ray = binarySkipReason('v2ray');
(skipV2ray ? test.skip : test)('the real v2ray binary is detected and vless-reality-vision is refused on it', async (t) => {
  const engine = await detectEngine(new LocalExec(), 'v2ray');
  t.truthy(engine);
  t.is(engine!.kind, 'v2ray');
  const err = t.throws(() => assertProfileSupported(engine!, 'vless-reality-vision', 'ssh:root@vps:22'));
  t.true(isPrivrouteError(err));
  t.regex(err!.message, /ssh:root@vps:22/);
  t.regex(err!.message, new RegExp(`V2Ray ${engine!.version.replace(/\./g, '\\.')}`));
  t.regex(err!.message, /vless-reality-vision/);
  t.regex((err as any).hint, /"vless-tls"/);
  t.notThrows(() => assertProfileSupported(engine!, 'vless-tls', 'local'));
});

test('capability table: reality only on Xray >= 1.8.0; vless-tls on both; xtls-era Xray refused', (t) => {
  t.true(supportsProfile(XRAY, 'vless-reality-vision'));
  t.false(supportsProfile(V2RAY, 'vless-reality-vision'));
  t.false(supportsProfile({ ...XRAY, version: '1.7.5' }, 'vless-reality-vision'));
  t.true(supportsProfile(V2RAY, 'vless-tls'));
  t.false(supportsProfile({ ...V2RAY, version: '4.26.0' }, 'vless-tls'));
  const err = t.throws(() => assertProfileSupported({ ...V2RAY, version: '4.20.0' }, 'vless-tls', 'pct:101'));
  t.regex((err as any).hint, /V2Ray >= 4\.27\.0/);
});

test('detect tries -version before version (v2ray 4.x reads stdin on `version`) and falls back to v2ray', async (t) => {
  const fake = new FakeHostExec({ target: 'fake' })
    .on(['xray', REST], () => ({ code: 127, stderr: 'xray: not found' }), { times: 2 })
    .on(['v2ray', '-version'], () => V2RAY_434_BANNER)
    .on(['which', 'v2ray'], () => '/usr/bin/v2ray\n');
  const e = await detectEngine(fake);
  // The absolute path: service managers (start-stop-daemon --exec, ExecStart) need one.
  t.like(e, { kind: 'v2ray', version: '4.34.0', binary: '/usr/bin/v2ray' });
  t.deepEqual(fake.runs(), [['xray', '-version'], ['xray', 'version'], ['v2ray', '-version'], ['which', 'v2ray']]);
  fake.assertDone();
});

test('no engine at all -> null', async (t) => {
  const fake = new FakeHostExec({ target: 'fake' }).on([/xray|v2ray/, REST], () => ({ code: 127 }), { times: 4 });
  t.is(await detectEngine(fake), null);
});

test('run/test argv per engine generation', (t) => {
  t.deepEqual(runArgv(V2RAY, '/usr/bin/v2ray', '/c.json'), ['/usr/bin/v2ray', '-config', '/c.json']);
  t.deepEqual(testArgv(V2RAY, 'v2ray', '/c.json'), ['v2ray', '-test', '-config', '/c.json']);
  t.deepEqual(runArgv(XRAY, 'xray', '/c.json'), ['xray', 'run', '-c', '/c.json']);
  t.deepEqual(testArgv({ ...V2RAY, version: '5.16.1' }, 'v2ray', '/c.json'), ['v2ray', 'test', '-c', '/c.json']);
});
