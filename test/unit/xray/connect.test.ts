import test from 'ava';
import { validateConfig } from '../../../src/config/index.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import { vpsExecFromConfig } from '../../../src/xray/connect.js';
import { detectServiceManager } from '../../../src/xray/service/detect.js';

const cfg = (ssh: Record<string, unknown>) => validateConfig({ version: 1, plugins: { privacy_router: { vps: { xray_server: 'vps.example.com', ssh } } } });

test('no SSH key configured: InputError naming vps.ssh.key_file (exit 2)', (t) => {
  const err = t.throws(() => vpsExecFromConfig(cfg({})));
  t.is((err as { exitCode?: number }).exitCode, 2);
  t.regex(err!.message, /plugins\.privacy_router\.vps\.ssh\.key_file/);
});

test('the executor targets vps.ssh.host (default vps.xray_server) as user@host:port', (t) => {
  t.is(vpsExecFromConfig(cfg({ key_file: '/root/.ssh/id_ed25519' })).target, 'ssh:root@vps.example.com:22');
  t.is(vpsExecFromConfig(cfg({ key_file: '/k', host: '203.0.113.9', port: 2222, user: 'admin' })).target, 'ssh:admin@203.0.113.9:2222');
});

test('service manager: systemd only when it is the running init', async (t) => {
  const mk = (code: number) => new FakeHostExec().on(['test', '-d', '/run/systemd/system'], () => ({ code }));
  t.is(await detectServiceManager(mk(0)), 'systemd');
  t.is(await detectServiceManager(mk(1)), 'process');
});
