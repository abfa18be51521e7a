import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { ensureEngine } from '../../../src/xray/vps/install.js';
import { ensureFirewall } from '../../../src/xray/vps/firewall.js';
import { renderUnit, systemdManager } from '../../../src/xray/service/systemd.js';
import type { ServiceSpec } from '../../../src/xray/service/types.js';

test('upload: written atomically at 0755 when the hash differs, left alone when it matches', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prx-up-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const local = path.join(dir, 'xray');
  writeFileSync(local, 'ELF-pretend-binary');
  const sha = createHash('sha256').update('ELF-pretend-binary').digest('hex');
  const remote = '/usr/local/bin/privroute-xray';
  const fake = new FakeHostExec({ target: 'ssh:root@vps:22' })
    .on(['sha256sum', remote], ({ fake: f }) => {
      const file = f.files.get(remote);
      return file ? `${createHash('sha256').update(file.content).digest('hex')}  ${remote}\n` : { code: 1, stderr: 'No such file' };
    }, { times: 'any' })
    .on([remote, '-version'], () => 'Xray 25.3.6 (Xray, Penetrates Everything.) abc (go1.24.1 linux/amd64)\n', { times: 'any' });
  const first = await ensureEngine(fake, { method: 'upload', engineBinary: local, packageName: 'xray', uploadPath: remote });
  t.true(first.changed);
  t.is(fake.files.get(remote)!.mode, 0o755);
  t.like(first.engine, { kind: 'xray', version: '25.3.6', binary: remote });
  const second = await ensureEngine(fake, { method: 'upload', engineBinary: local, packageName: 'xray', uploadPath: remote });
  t.false(second.changed);
  t.is(fake.calls.filter((c) => c.kind === 'writeFile').length, 1);
  t.true(second.detail.includes('up to date'));
  t.is(createHash('sha256').update(fake.files.get(remote)!.content).digest('hex'), sha);
});

test('upload of a binary that does not run on the VPS (wrong arch) is a clear error', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prx-up-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'xray'), 'x');
  const fake = new FakeHostExec({ target: 'ssh:root@vps:22' })
    .on(['sha256sum', REST], () => ({ code: 1 }))
    .on([/.+/, /-?version/], () => ({ code: 126, stderr: 'cannot execute binary file: Exec format error' }), { times: 2 });
  const err = await t.throwsAsync(ensureEngine(fake, { method: 'upload', engineBinary: path.join(dir, 'xray'), packageName: 'xray', uploadPath: '/usr/local/bin/privroute-xray' }));
  t.regex(err!.message, /wrong architecture/);
});

const spec: ServiceSpec = { name: 'privroute-xray', argv: ['/usr/bin/v2ray', '-config', '/etc/privroute-xray/config.json'], pidFile: '/run/x.pid', logFile: '/var/log/x.log', unitDir: '/etc/systemd/system' };

test('systemd: unit written once, daemon-reload + enable, then idempotent', async (t) => {
  const state = { enabled: false, reloads: 0 };
  const fake = new FakeHostExec({ target: 'ssh:root@vps:22', state })
    .on(['systemctl', 'daemon-reload'], ({ state: s }) => void s.reloads++, { times: 1 })
    .on(['systemctl', 'is-enabled', 'privroute-xray.service'], ({ state: s }) => (s.enabled ? 'enabled\n' : { code: 1, stdout: 'disabled\n' }), { times: 'any' })
    .on(['systemctl', 'enable', 'privroute-xray.service'], ({ state: s }) => void (s.enabled = true), { times: 1 });
  t.true(await systemdManager.ensureInstalled(fake, spec));
  t.false(await systemdManager.ensureInstalled(fake, spec));
  t.is(fake.files.get('/etc/systemd/system/privroute-xray.service')!.content.toString(), renderUnit(spec));
  t.regex(renderUnit(spec), /^ExecStart=\/usr\/bin\/v2ray -config \/etc\/privroute-xray\/config\.json$/m);
  fake.assertDone();
});

test('systemd status: active with MainPID, inactive without', async (t) => {
  let active = true;
  const fake = new FakeHostExec({ target: 't' })
    .on(['systemctl', 'is-active', 'privroute-xray.service'], () => (active ? 'active\n' : { code: 3, stdout: 'inactive\n' }), { times: 'any' })
    .on(['systemctl', 'show', '-p', 'MainPID', '--value', 'privroute-xray.service'], () => '4242\n', { times: 'any' });
  t.deepEqual(await systemdManager.status(fake, spec), { active: true, pid: 4242 });
  active = false;
  t.deepEqual(await systemdManager.status(fake, spec), { active: false, pid: null });
});

test('ufw: allow only the inbound port, once', async (t) => {
  const rules: string[] = [];
  const fake = new FakeHostExec({ target: 't' })
    .on(['ufw', 'status'], () => `Status: active\n\nTo                         Action      From\n--                         ------      ----\n22/tcp                     ALLOW       Anywhere\n${rules.map((r) => `${r}                    ALLOW       Anywhere`).join('\n')}\n`, { times: 'any' })
    .on(['ufw', 'allow', '443/tcp'], () => void rules.push('443/tcp'), { times: 1 });
  t.is(await ensureFirewall(fake, 'ufw', 443), 'ufw allow 443/tcp');
  t.is(await ensureFirewall(fake, 'ufw', 443), null);
  fake.assertDone();
});
