/**
 * Issue 11 items 9 and 15: what the WARP hop reads from disk (a wgcf profile, a
 * WARP+ licence) is checked whole before anything is applied: mode (only the
 * owner may read or write a secret) and content (addresses through ipaddr.js,
 * keepalive, endpoint, no silent truncation). Bad input is exit 2 naming the fix.
 */
import test from 'ava';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../../src/core/errors.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { parseWgcfProfile, renderWgcfProfile } from '../../../src/warp/profile.js';
import { preflightWarpFiles } from '../../../src/warp/files.js';
import { configWith, device, PEER } from './_helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'prwarpfiles-'));
const priv = generateKeyPair().privateKey;
const profile = (iface: string, peer: string) => `[Interface]\nPrivateKey = ${priv}\n${iface}[Peer]\nPublicKey = ${PEER}\n${peer}`;

const BAD: Array<[string, string, RegExp]> = [
  ['Address = not-an-ip', profile('Address = not-an-ip\n', 'Endpoint = 1.2.3.4:2408\n'), /\[Interface\] Address: got "not-an-ip"/],
  ['Address = 300.1.1.1/32', profile('Address = 300.1.1.1/32\n', 'Endpoint = 1.2.3.4:2408\n'), /Address: got "300\.1\.1\.1\/32"/],
  ['Address = 172.16.0.2/33', profile('Address = 172.16.0.2/33\n', 'Endpoint = 1.2.3.4:2408\n'), /Address: got "172\.16\.0\.2\/33"/],
  ['PersistentKeepalive = soon', profile('Address = 172.16.0.2/32\n', 'Endpoint = 1.2.3.4:2408\nPersistentKeepalive = soon\n'), /PersistentKeepalive: got "soon"/],
  ['PersistentKeepalive = 70000', profile('Address = 172.16.0.2/32\n', 'Endpoint = 1.2.3.4:2408\nPersistentKeepalive = 70000\n'), /PersistentKeepalive: got "70000"/],
  // wg-quick comments start with `#` only: `;` used to cut the value silently.
  ['Address with ;', profile('Address = 172.16.0.2/32; 10.0.0.0/8\n', 'Endpoint = 1.2.3.4:2408\n'), /Address: got "172\.16\.0\.2\/32; 10\.0\.0\.0\/8"/],
  ['Endpoint with ;', profile('Address = 172.16.0.2/32\n', 'Endpoint = 1.2.3.4:2408;evil\n'), /Endpoint: got "1\.2\.3\.4:2408;evil"/],
  ['Endpoint without port', profile('Address = 172.16.0.2/32\n', 'Endpoint = 1.2.3.4\n'), /Endpoint: got "1\.2\.3\.4"/],
  ['AllowedIPs = everything', profile('Address = 172.16.0.2/32\n', 'Endpoint = 1.2.3.4:2408\nAllowedIPs = everything\n'), /AllowedIPs: got "everything"/],
  ['DNS = resolver', profile('Address = 172.16.0.2/32\nDNS = resolver\n', 'Endpoint = 1.2.3.4:2408\n'), /DNS: got "resolver"/],
];

for (const [name, text, re] of BAD) {
  test(`wgcf profile: ${name} is an InputError (exit 2) naming the value`, (t) => {
    const e = t.throws(() => parseWgcfProfile(text, 'warp.wgcf_config'), { instanceOf: InputError });
    t.is(e!.exitCode, 2);
    t.regex(e!.message, re);
    t.false(e!.message.includes(priv));
  });
}

test('wgcf profile: what wgcf writes still parses (v4+v6 addresses, hostname endpoint, # comments)', (t) => {
  const p = parseWgcfProfile(`# made by wgcf\n${renderWgcfProfile(priv, device())}PersistentKeepalive = 0 # off\n`);
  t.deepEqual(p.addresses, ['172.16.0.2/32', 'fd01:5741::2/128']);
  t.is(p.peer.endpoint, 'engage.cloudflareclient.com:2408');
  t.is(p.peer.persistentKeepalive, 0);
  t.is(parseWgcfProfile(profile('Address = 172.16.0.2\n', 'Endpoint = [2606:4700:d0::a29f:c001]:2408\n')).peer.endpoint, '[2606:4700:d0::a29f:c001]:2408');
});

test('preflight: a group- or world-readable licence or wgcf profile is refused with the chmod fix (exit 2)', async (t) => {
  const lic = path.join(tmp, 'license');
  writeFileSync(lic, 'AbCd1234-EfGh5678-IjKl9012\n', { mode: 0o644 });
  chmodSync(lic, 0o644);
  const prof = path.join(tmp, 'wgcf-profile.conf');
  writeFileSync(prof, renderWgcfProfile(priv, device()), { mode: 0o640 });
  chmodSync(prof, 0o640);
  for (const [key, file, extra] of [['license_file', lic, {}], ['wgcf_config', prof, {}]] as const) {
    const e = await t.throwsAsync(preflightWarpFiles(configWith({ [key]: file, ...extra })), { instanceOf: InputError });
    t.is(e!.exitCode, 2);
    t.regex(e!.message, new RegExp(`warp\\.${key}`));
    t.true(e!.message.includes(`chmod 600 ${file}`), e!.message);
  }
  chmodSync(lic, 0o600);
  chmodSync(prof, 0o400);
  await t.notThrowsAsync(preflightWarpFiles(configWith({ license_file: lic })));
  await t.notThrowsAsync(preflightWarpFiles(configWith({ wgcf_config: prof })));
});

test('preflight: a bad wgcf profile is refused before anything runs', async (t) => {
  const prof = path.join(tmp, 'bad-profile.conf');
  writeFileSync(prof, profile('Address = not-an-ip\n', 'Endpoint = 1.2.3.4:2408\n'), { mode: 0o600 });
  await t.throwsAsync(preflightWarpFiles(configWith({ wgcf_config: prof })), { instanceOf: InputError, message: /not-an-ip/ });
});
