/**
 * deploy/install.sh and deploy/uninstall.sh under a test root (--root): never this machine's
 * own /opt, /etc or systemd. Install, check what is there (the program runs, the example config
 * is 0600 and passes `config check` once its FILL-IN fields are filled, the unit is enabled and
 * passes `systemd-analyze verify`), uninstall, and the root is exactly as before (path, type,
 * mode and content of everything under it). Plus: Node < 20 is refused with the advice.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnArgv } from '../../../src/host/local.js';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const skip = skipUnless(rootSkipReason(), binarySkipReason('npm', 'systemctl'));
const t0 = skip ? test.skip : test.serial;
const work = mkdtempSync(path.join(os.tmpdir(), 'privroute-install-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

/** Every path under `root` with its type, mode and content digest (or link target), sorted. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      const rel = path.relative(root, p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(p)}`);
      else if (st.isDirectory()) (out.push(`${rel}/ ${mode}`), walk(p));
      else out.push(`${rel} ${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(root);
  return out;
}

/** A small machine-like root: some of the dirs install.sh uses exist already, with files in them. */
function makeRoot(): string {
  const root = mkdtempSync(path.join(work, 'root-'));
  for (const d of ['etc/systemd/system', 'usr/local/bin', 'opt']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'etc/hostname'), 'pve1\n');
  writeFileSync(path.join(root, 'usr/local/bin/other-tool'), '#!/bin/sh\n', { mode: 0o755 });
  return root;
}

const sh = (argv: string[], env: Record<string, string> = {}) => spawnArgv('local', argv, { timeoutMs: 900_000, okCodes: [0, 1, 2], env });

t0('install, upgrade, then uninstall under a test root: the edited config is kept, all else is as before', async (t) => {
  t.timeout(1_800_000); // builds privroute (tsc) under a shared, loaded machine
  const root = makeRoot();
  const before = snapshot(root);
  const inst = await sh(['bash', path.join(REPO, 'deploy/install.sh'), '--root', root]);
  t.is(inst.code, 0, inst.stdout + inst.stderr);
  const opt = path.join(root, 'opt/privroute');
  // The installed program runs from its own production node_modules.
  const version = await sh([process.execPath, path.join(opt, 'dist/src/cli/main.js'), '--version']);
  t.is(version.stdout.trim(), '0.1.0', version.stderr);
  t.false(readdirSync(path.join(opt, 'node_modules')).includes('ava'), 'dev dependencies pruned');
  t.regex(readFileSync(path.join(root, 'usr/local/bin/privroute'), 'utf8'), /^#!\/bin\/sh\n.*\nexec \S+ \/opt\/privroute\/dist\/src\/cli\/main\.js "\$@"\n$/);
  t.is(readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/privroute-daemon.service')), '/etc/systemd/system/privroute-daemon.service');
  // The example config: 0600; config check names the FILL-IN fields (exit 2); filled, it passes.
  const cfg = path.join(root, 'etc/privroute/config.json');
  t.is(statSync(cfg).mode & 0o777, 0o600);
  t.is(statSync(path.join(root, 'etc/privroute')).mode & 0o777, 0o700);
  const raw = await sh([process.execPath, path.join(opt, 'dist/src/cli/main.js'), 'config', 'check', '--config', cfg]);
  t.is(raw.code, 2);
  for (const k of ['wireguard.endpoint', 'wireguard.uplink', 'vps.xray_server', 'vps.ssh.key_file', 'vps.ssh.host_key']) t.true(raw.stderr.includes(`plugins.privacy_router.${k}: got "FILL-IN`), k);
  const doc = JSON.parse(readFileSync(cfg, 'utf8'));
  const r = doc.plugins.privacy_router;
  r.wireguard.endpoint = '203.0.113.7:51820';
  r.wireguard.uplink = 'vmbr0';
  r.vps.xray_server = '198.51.100.20';
  r.vps.ssh.key_file = '/etc/privroute/vps_ed25519';
  r.vps.ssh.host_key = 'SHA256:' + 'A'.repeat(43);
  const filled = path.join(work, 'filled.json');
  writeFileSync(filled, JSON.stringify(doc), { mode: 0o600 });
  const ok = await sh([process.execPath, path.join(opt, 'dist/src/cli/main.js'), 'config', 'check', '--config', filled]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /^config OK: /);

  // An upgrade replaces the program and keeps the config (edited here) and the install list.
  writeFileSync(cfg, JSON.stringify(doc), { mode: 0o600 });
  const up = await sh(['bash', path.join(REPO, 'deploy/install.sh'), '--root', root, '--upgrade', '--no-build']);
  t.is(up.code, 0, up.stdout + up.stderr);
  t.regex(up.stdout, /privroute upgraded in \/opt\/privroute/);
  t.is(readFileSync(cfg, 'utf8'), JSON.stringify(doc), 'the config survives an upgrade');
  t.is((await sh([process.execPath, path.join(opt, 'dist/src/cli/main.js'), '--version'])).stdout.trim(), '0.1.0');

  // An edited config is kept by a plain uninstall; --purge removes it.
  const un = await sh(['bash', path.join(root, 'opt/privroute/deploy/uninstall.sh'), '--root', root]);
  t.is(un.code, 0, un.stdout + un.stderr);
  t.regex(un.stdout, /kept \/etc\/privroute\/config\.json \(edited; --purge removes it\)/);
  t.is(readFileSync(cfg, 'utf8'), JSON.stringify(doc));
  rmSync(cfg);
  rmSync(path.join(root, 'etc/privroute'), { recursive: true });
  t.deepEqual(snapshot(root), before);
});

t0('install then uninstall --purge under a test root leaves it exactly as before', async (t) => {
  t.timeout(1_800_000);
  const root = makeRoot();
  const before = snapshot(root);
  t.is((await sh(['bash', path.join(REPO, 'deploy/install.sh'), '--root', root, '--no-build'])).code, 0);
  t.not(snapshot(root).length, before.length);
  const un = await sh(['bash', path.join(root, 'opt/privroute/deploy/uninstall.sh'), '--root', root, '--purge']);
  t.is(un.code, 0, un.stdout + un.stderr);
  t.deepEqual(snapshot(root), before);
});

t0('the installed unit passes systemd-analyze verify', async (t) => {
  if (binarySkipReason('systemd-analyze')) return t.log('skipped: systemd-analyze is not installed') as unknown as void, t.pass();
  // verify needs ExecStart to exist: this machine has no /usr/local/bin/privroute (and the test
  // never creates one), so the copy points ExecStart at a stub; that line is the only change.
  const dir = path.join(work, 'verify');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'privroute'), '#!/bin/sh\n', { mode: 0o755 });
  const unit = readFileSync(path.join(REPO, 'deploy/privroute-daemon.service'), 'utf8');
  const copy = unit.replace(/^ExecStart=\/usr\/local\/bin\/privroute /m, `ExecStart=${dir}/privroute `);
  t.deepEqual(copy.split('\n').filter((l, i) => l !== unit.split('\n')[i]), [`ExecStart=${dir}/privroute daemon`]);
  writeFileSync(path.join(dir, 'privroute-daemon.service'), copy);
  const v = await sh(['systemd-analyze', 'verify', path.join(dir, 'privroute-daemon.service')]);
  t.is(v.code, 0, v.stdout + v.stderr);
  t.is(v.stderr.trim(), '', 'no warnings');
});

t0('Node < 20 is refused with the exact advice, and nothing is installed', async (t) => {
  const bin = path.join(work, 'old-node');
  mkdirSync(bin, { recursive: true });
  // A stand-in for Debian 12's nodejs 18 (answers the two questions install.sh asks).
  writeFileSync(path.join(bin, 'node'), '#!/bin/sh\ncase "$1" in -p) echo 18 ;; --version) echo v18.19.0 ;; esac\n');
  chmodSync(path.join(bin, 'node'), 0o755);
  const root = path.join(work, 'old-root');
  mkdirSync(root, { recursive: true });
  const r = await sh(['bash', path.join(REPO, 'deploy/install.sh'), '--root', root], { PATH: `${bin}:${process.env.PATH}` });
  t.is(r.code, 2);
  t.regex(r.stderr, /needs Node\.js 20 or newer; found .*old-node\/node \(v18\.19\.0\)/);
  t.regex(r.stderr, /https:\/\/deb\.nodesource\.com\/setup_20\.x/);
  t.deepEqual(readdirSync(root), []);
});
