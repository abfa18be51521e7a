/**
 * `privroute doctor` and the bridge refusal against the pct stand-in (test/fixtures/bin, over
 * REAL LXC), a private OVS (ovsdb-server + ovs-vswitchd in a lab namespace) and a real sshd
 * (the VPS, in a lab namespace, pinned host key). Nothing here runs in the root namespace's
 * network; the CLI runs in-process.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns, startOvs, type OvsInstance } from '../../../src/lab/harness/index.js';
import { startSshd, netnsProxyCommand, type LabSshd } from '../../../src/lab/sshd.js';
import { spawnArgv } from '../../../src/host/local.js';
import { SshExec } from '../../../src/host/ssh.js';
import { LocalExec } from '../../../src/host/local.js';
import { validateConfig } from '../../../src/config/validate.js';
import { run } from '../../../src/cli/program.js';
import { observeNode } from '../../../src/proxmox/doctor-observe.js';
import { planChecks } from '../../../src/proxmox/doctor.js';
import { desiredContainers } from '../../../src/appliance/containers.js';
import { memoryIo } from '../../unit/cli/_io.js';
import { seed } from '../../unit/config/_seed.js';
import { useStandin } from '../host/pct-standin.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('lxc-start', 'lxc-usernsexec', 'debootstrap', 'zstd', 'ovsdb-server', 'sshd'));
const t0 = skip ? test.skip : test.serial;
const scope = skip ? undefined : new Scope(uniquePrefix('pdr'));
let ovs: OvsInstance;
let sshd: LabSshd;
let template = '';

/** A config for this node: pct runtime, the stand-in's template and storage, the private OVS. */
function configDoc(over: (d: any) => void = () => {}): any {
  const d = seed();
  const r = d.plugins.privacy_router;
  r.ovs = { db: ovs.dbEndpoint, rundir: ovs.rundir, datapath_type: 'netdev' };
  r.runtime = { kind: 'pct', template, storage: 'local' };
  // The mesh is not this test's subject (its preflight needs an enrollment token).
  r.netmaker = { ...r.netmaker, enabled: false };
  // The VPS: the lab sshd's key and pinned host key; its address is a closed loopback port for the
  // CLI (the CLI cannot reach into the sshd's namespace), the probe below goes through a relay.
  r.vps.ssh = { host: '127.0.0.1', port: 1, user: 'root', key_file: sshd.keyFile, host_key: sshd.hostKeyFingerprint };
  over(d);
  return d;
}
function writeConfig(name: string, doc: any): string {
  const f = path.join(scope!.dir, name);
  writeFileSync(f, JSON.stringify(doc), { mode: 0o600 });
  return f;
}

test.before(async () => {
  if (!scope) return;
  template = (await useStandin(scope)).template;
  const ns = await createNetns(scope, 'node');
  ovs = await startOvs(scope, { ns: `${scope.prefix}-node` });
  void ns;
  const vpsNs = `${scope.prefix}-vps`;
  await createNetns(scope, vpsNs);
  sshd = await startSshd(scope, { ns: vpsNs });
});
test.after.always(async () => {
  await scope?.close();
});

t0('doctor: one line per check; only the unreachable VPS is missing on this node; exit 1', async (t) => {
  const io = memoryIo({ ...process.env });
  const code = await run(['--config', writeConfig('c1.json', configDoc()), 'doctor'], io);
  const lines = io.out.text.split('\n').filter((l) => /^(ok  |MISS) /.test(l));
  t.is(code, 1, io.out.text + io.err.text);
  t.deepEqual(lines.map((l) => l.slice(5).split(/\s+/)[0]), ['pve', 'wireguard', 'ovs', 'bridge', 'template', 'storage', 'node', 'container-ids', 'vps']);
  t.deepEqual(lines.filter((l) => l.startsWith('MISS')).map((l) => l.slice(5).split(/\s+/)[0]), ['vps'], io.out.text);
  t.regex(io.out.text, /ok {3}pve {11}Proxmox VE 8\.2\.4/);
  t.regex(io.out.text, new RegExp(`ok {3}template {6}${template.replace(/[.+]/g, '\\$&')} is downloaded`));
  t.regex(io.out.text, /ok {3}container-ids {1}free: 100, 101/);
  t.regex(io.err.text, /1 check\(s\) failed: vps/);
});

t0('doctor: the VPS answers with the pinned key; a different pin is refused', async (t) => {
  const config = validateConfig(configDoc());
  const open = (hostKey: string) => () => new SshExec({ host: '127.0.0.1', port: 22, user: 'root', keyFile: sshd.keyFile, hostKey, proxyCommand: netnsProxyCommand(sshd.ns) });
  const ok = await observeNode(config, { node: new LocalExec(), vps: open(sshd.hostKeyFingerprint) });
  t.is(ok.vps, 'ok');
  const wrong = 'SHA256:' + 'A'.repeat(43);
  const bad = await observeNode(config, { node: new LocalExec(), vps: open(wrong) });
  t.not(bad.vps, 'ok');
  t.regex((bad.vps as { error: string }).error, /host key/i);
  const checks = planChecks(config, ok, desiredContainers({ config }), []);
  t.true(checks.every((c) => c.ok), JSON.stringify(checks.filter((c) => !c.ok)));
});

t0('doctor: an id held by another container and a template that is not downloaded are missing', async (t) => {
  await spawnArgv('local', ['pct', 'create', '100', template, '--hostname', 'someones-db', '--unprivileged', '1', '--rootfs', 'local:1'], { timeoutMs: 300_000 });
  const io = memoryIo({ ...process.env });
  const doc = configDoc((d) => (d.plugins.privacy_router.runtime.template = 'local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst'));
  t.is(await run(['--config', writeConfig('c2.json', doc), 'doctor'], io), 1);
  t.regex(io.out.text, /MISS container-ids container id\(s\) taken: 100 \(held by "someones-db", privroute wants privroute-wg\)/);
  t.regex(io.out.text, /MISS template {6}local:vztmpl\/debian-13-standard_13\.1-2_amd64\.tar\.zst is not downloaded/);
  t.regex(io.out.text, /fix: pveam update && pveam download local debian-13-standard_13\.1-2_amd64\.tar\.zst/);
  await spawnArgv('local', ['pct', 'destroy', '100']);
});

t0('init refuses a bridge that carries another guest (exit 2, key and fix named, OVSDB untouched); doctor says so', async (t) => {
  await ovs.vsctl(['add-br', 'vmbr0', '--', 'set', 'bridge', 'vmbr0', 'datapath_type=netdev']);
  await ovs.vsctl(['add-port', 'vmbr0', 'tap102i0', '--', 'set', 'interface', 'tap102i0', 'type=internal']);
  const before = await ovs.vsctl(['show']);
  const f = writeConfig('c3.json', configDoc((d) => (d.plugins.privacy_router.bridge_name = 'vmbr0')));
  const io = memoryIo({ ...process.env });
  const code = await run(['--config', f, '--state-dir', path.join(scope!.dir, 'state'), 'init'], io);
  t.is(code, 2, io.err.text);
  t.regex(io.err.text, /plugins\.privacy_router\.bridge_name: got "vmbr0 \(carries tap102i0\)"/);
  t.regex(io.err.text, /Set bridge_name to a name no bridge uses yet/);
  t.is(await ovs.vsctl(['show']), before, 'OVSDB unchanged');
  t.is((await spawnArgv('local', ['pct', 'list'])).stdout, '', 'no container created');
  const d = memoryIo({ ...process.env });
  t.is(await run(['--config', f, 'doctor'], d), 1);
  t.regex(d.out.text, /MISS bridge {8}bridge vmbr0 already carries ports that are not privroute's/);
});
