import test from 'ava';
import { sshOptionsFromConfig } from '../../../src/host/ssh-config.js';
import { InputError } from '../../../src/core/errors.js';
import type { VpsConfig } from '../../../src/config/types.js';

const FP = 'SHA256:' + 'x'.repeat(43);
const vps = (ssh: Partial<VpsConfig['ssh']>) =>
  ({ xray_server: '203.0.113.7', ssh: { host: null, port: 22, user: 'root', key_file: '/etc/privroute/vps', host_key: FP, ...ssh } }) as VpsConfig;

test('host defaults to xray_server; fields map one to one', (t) => {
  t.deepEqual(sshOptionsFromConfig(vps({ port: 2222 })), { host: '203.0.113.7', port: 2222, user: 'root', keyFile: '/etc/privroute/vps', hostKey: FP });
  t.is(sshOptionsFromConfig(vps({ host: 'ssh.example' })).host, 'ssh.example');
  t.is(sshOptionsFromConfig(vps({ host_key: null })).hostKey, null);
});

test('every problem is reported at once, with key paths', (t) => {
  const e = t.throws(() => sshOptionsFromConfig(vps({ key_file: null, host_key: 'MD5:aa' })), { instanceOf: InputError });
  t.deepEqual(e!.problems.map((p) => p.path), ['plugins.privacy_router.vps.ssh.key_file', 'plugins.privacy_router.vps.ssh.host_key']);
  t.regex(e!.message, /ssh-keyscan -p 22 203\.0\.113\.7/);
});
