import test from 'ava';
import { ExecError, type HostExec } from '../../../src/host/exec.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import { provisionVps, type VpsDesired } from '../../../src/xray/vps/provision.js';
import { planVps } from '../../../src/xray/vps/plan.js';
import { vpsLayout } from '../../../src/xray/vps/layout.js';
import { parseSsListeners } from '../../../src/xray/vps/observe.js';
import { bareChain, fakeVps } from './fake-vps.js';
import { goldenMaterial } from './golden.js';

const material = goldenMaterial();
const noSleep = async () => {};

function desired(over: Partial<VpsDesired> = {}): VpsDesired {
  return {
    profile: 'vless-tls', port: 443, install: 'package', engineBinary: null, firewall: 'iptables', service: 'process',
    material, realityTarget: 'www.example.com:443', serverNames: ['www.example.com'], minClientVer: '4.34.0',
    upstreamDns: '1.1.1.1', layout: vpsLayout(), ...over,
  };
}

test('first run provisions; the second run changes nothing and says so', async (t) => {
  const vps = fakeVps();
  const first = await provisionVps(vps, desired(), { sleep: noSleep });
  t.false(first.unchanged);
  t.deepEqual(first.steps.filter((s) => s.outcome === 'changed').map((s) => s.step), ['vps:files', 'vps:firewall', 'vps:egress', 'vps:run']);
  const cfg = vps.files.get('/etc/privroute-xray/config.json')!;
  t.is(cfg.mode, 0o600);
  t.is(vps.files.get('/etc/privroute-xray/server.key')!.mode, 0o600);
  t.false(vps.files.has('/etc/privroute-xray/config.json.candidate'));
  t.deepEqual(bareChain(vps.state, 'PRIVROUTE-XRAY'), ['-p tcp -m tcp --dport 443 -j ACCEPT']);
  t.deepEqual(bareChain(vps.state, 'INPUT'), ['-j PRIVROUTE-XRAY']);
  // The engine's marked connections are confined (issue 11.1), its DNS upstream allowed.
  t.deepEqual(bareChain(vps.state, 'OUTPUT'), ['-m mark --mark 0x7072 -j PRIVROUTE-EGRESS']);
  t.true(!!bareChain(vps.state, 'PRIVROUTE-EGRESS')?.includes('-d 127.0.0.0/8 -j REJECT --reject-with icmp-net-prohibited'));
  t.true(!!bareChain(vps.state, 'PRIVROUTE-EGRESS')?.includes('-d 1.1.1.1 -p udp -m udp --dport 53 -j RETURN'));
  t.deepEqual(vps.state.service.argv, ['/usr/bin/v2ray', '-config', '/etc/privroute-xray/config.json']);

  const second = await provisionVps(vps, desired(), { sleep: noSleep });
  t.true(second.unchanged);
  t.true(second.steps.every((s) => s.outcome === 'unchanged'), JSON.stringify(second.steps));
  t.is(vps.state.starts, 1);
  vps.assertDone();
});

/** The VPS over an SSH link that dies when `dies(argv)` first matches (once). */
function linkDiesAt(vps: ReturnType<typeof fakeVps>, dies: (argv: readonly string[]) => boolean): HostExec {
  let dead = false;
  return {
    target: vps.target,
    run: (argv, o) => {
      if (!dead && dies(argv)) {
        dead = true;
        return Promise.reject(new Error('ssh: connection lost (link killed by the test)'));
      }
      return vps.run(argv, o);
    },
    writeFile: (f, c, m) => vps.writeFile(f, c, m),
    readFile: (f) => vps.readFile(f),
  };
}

// Issue 11 item 4: a restart used to happen only when *this* run changed files, so
// a run killed between writing the config and restarting left the old config
// running for good: the next run saw the files already right and restarted nothing.
test('the SSH link killed between the config write and the restart: the next run restarts and converges', async (t) => {
  const vps = fakeVps();
  await provisionVps(vps, desired(), { sleep: noSleep });
  const cfgPath = '/etc/privroute-xray/config.json';
  t.is(vps.state.loaded, vps.files.get(cfgPath)!.content.toString());
  const next = desired({ upstreamDns: '9.9.9.9' });
  await t.throwsAsync(provisionVps(linkDiesAt(vps, (a) => a[0] === 'start-stop-daemon' && a.includes('--stop')), next, { sleep: noSleep }), { message: /connection lost/ });
  t.regex(vps.files.get(cfgPath)!.content.toString(), /9\.9\.9\.9/, 'the new config was written');
  t.notRegex(vps.state.loaded ?? '', /9\.9\.9\.9/, 'the engine still runs the old one');
  const plan = await planVps(vps, next);
  t.like(plan.steps.find((s) => s.step === 'vps:run'), { outcome: 'changed' });
  const again = await provisionVps(vps, next, { sleep: noSleep });
  t.like(again.steps.find((s) => s.step === 'vps:run'), { outcome: 'changed' });
  t.is(vps.state.loaded, vps.files.get(cfgPath)!.content.toString(), 'the running engine loaded the current config');
  const third = await provisionVps(vps, next, { sleep: noSleep });
  t.true(third.unchanged, JSON.stringify(third.steps));
});

test('a changed port replaces the firewall rule and restarts', async (t) => {
  const vps = fakeVps();
  await provisionVps(vps, desired(), { sleep: noSleep });
  const r = await provisionVps(vps, desired({ port: 8443 }), { sleep: noSleep });
  t.deepEqual(bareChain(vps.state, 'PRIVROUTE-XRAY'), ['-p tcp -m tcp --dport 8443 -j ACCEPT']);
  t.is(vps.state.starts, 2);
  t.like(r.steps.find((s) => s.step === 'vps:firewall'), { outcome: 'changed' });
});

test('package install when missing', async (t) => {
  const vps = fakeVps({ packages: new Set(), engines: new Map() });
  const r = await provisionVps(vps, desired(), { sleep: noSleep });
  t.true(vps.state.packages.has('v2ray'));
  t.like(r.steps.find((s) => s.step === 'vps:engine'), { outcome: 'changed' });
  t.true(vps.runs().some((a) => a.join(' ') === 'apt-get install -y --no-install-recommends v2ray'));
});

test('engine missing with install none: clear error naming host and step, nothing written', async (t) => {
  const vps = fakeVps({ packages: new Set(), engines: new Map() });
  const err = await t.throwsAsync(provisionVps(vps, desired({ install: 'none' }), { sleep: noSleep }));
  t.regex(err!.message, /^vps:engine: on ssh:root@203\.0\.113\.10:22: no proxy engine installed/);
  t.regex((err as any).hint, /engine_install/);
  t.deepEqual(vps.calls.filter((c) => c.kind === 'writeFile'), []);
});

test('install present: the configured path must be an executable engine', async (t) => {
  const vps = fakeVps();
  const err = await t.throwsAsync(provisionVps(vps, desired({ install: 'present', engineBinary: '/opt/xray/xray' }), { sleep: noSleep }));
  t.regex(err!.message, /vps:engine: .*\/opt\/xray\/xray is not an executable/);
});

test('port already taken by another process: refused before anything is installed or written', async (t) => {
  const vps = fakeVps({ foreign: new Map([[443, ['nginx', 812]]]), packages: new Set(), engines: new Map() });
  const err = await t.throwsAsync(provisionVps(vps, desired(), { sleep: noSleep }));
  t.regex(err!.message, /^vps:port: on ssh:root@203\.0\.113\.10:22: port 443\/tcp is already taken by nginx \(pid 812\)/);
  t.deepEqual(vps.calls.filter((c) => c.kind === 'writeFile'), []);
  t.is(vps.state.starts, 0);
  t.false(vps.runs().some((a) => a[0] === 'apt-get'));
});

test('REALITY on v2ray is refused before any config is written', async (t) => {
  const vps = fakeVps();
  const err = await t.throwsAsync(provisionVps(vps, desired({ profile: 'vless-reality-vision', install: 'none' }), { sleep: noSleep }));
  t.regex(err!.message, /^vps:capability: .*"vless-reality-vision" cannot be enforced by V2Ray 4\.34\.0/);
  t.regex((err as any).hint, /"vless-tls"/);
  t.deepEqual(vps.calls.filter((c) => c.kind === 'writeFile'), []);
});

test('a service that never listens is reported with the log to read', async (t) => {
  const vps = fakeVps({ engineBinds: false });
  const err = await t.throwsAsync(provisionVps(vps, desired(), { sleep: noSleep, listenTimeoutMs: 0 }));
  t.regex(err!.message, /^vps:listen: .*running \(pid \d+\) but does not listen on 443\/tcp/);
  t.regex((err as any).hint, /privroute-xray\.log/);
});

/** A target whose transport fails the way SshExec does, before any command runs. */
class FailingExec extends FakeHostExec {
  constructor(private readonly err: Error) { super({ target: 'ssh:root@203.0.113.10:22' }); }
  override async run(): Promise<never> { throw this.err; }
  override async readFile(): Promise<never> { throw this.err; }
}

for (const [what, err] of [
  ['unreachable', new ExecError({ target: 'ssh:root@203.0.113.10:22', argv: ['connect'], code: null, reason: 'connect ECONNREFUSED 203.0.113.10:22' })],
  ['auth refused', new ExecError({ target: 'ssh:root@203.0.113.10:22', argv: ['connect'], code: null, reason: 'All configured authentication methods failed', hint: 'check vps.ssh.key_file' })],
  ['host key changed', new ExecError({ target: 'ssh:root@203.0.113.10:22', argv: ['connect'], code: null, reason: 'host key mismatch: pinned SHA256:AAAA, presented SHA256:BBBB', hint: 'verify the new key out of band' })],
] as const) {
  test(`transport failure (${what}) keeps host, step and the original message`, async (t) => {
    const e = await t.throwsAsync(provisionVps(new FailingExec(err), desired(), { sleep: noSleep }));
    t.regex(e!.message, /^vps:detect: on ssh:root@203\.0\.113\.10:22: /);
    t.true(e!.message.includes(err.message));
    t.is((e as any).hint, err.hint);
    t.is((e as any).cause, err);
  });
}

test('ss parser: IPv4, IPv6, wildcard, several owners', (t) => {
  const ls = parseSsListeners([
    'LISTEN 0 4096 0.0.0.0:443 0.0.0.0:* users:(("v2ray",pid=10,fd=3))',
    'LISTEN 0 511 [::]:80 [::]:* users:(("nginx",pid=11,fd=6),("nginx",pid=12,fd=6))',
    'LISTEN 0 128 *:8443 *:*',
  ].join('\n'));
  t.deepEqual(ls.map((l) => [l.address, l.port, l.processes.map((p) => p.pid)]), [['0.0.0.0', 443, [10]], ['::', 80, [11, 12]], ['*', 8443, []]]);
});

test('plan is read-only: before provisioning it lists the changes, after it is all unchanged', async (t) => {
  const vps = fakeVps();
  const before = await planVps(vps, desired());
  t.false(before.unchanged);
  t.deepEqual(before.steps.filter((s) => s.outcome === 'changed').map((s) => s.step), ['vps:files', 'vps:firewall', 'vps:egress', 'vps:run']);
  t.deepEqual(vps.calls.filter((c) => c.kind === 'writeFile'), []);
  t.is(vps.state.starts, 0);
  t.false(vps.runs().some((a) => ['-N', '-A', '-I'].includes(a[2]!) || a.includes('--start')));
  await provisionVps(vps, desired(), { sleep: noSleep });
  t.true((await planVps(vps, desired())).unchanged);
});

test('plan with the engine not yet installed says what install would do', async (t) => {
  const vps = fakeVps({ packages: new Set(), engines: new Map() });
  const p = await planVps(vps, desired());
  t.like(p.steps.find((s) => s.step === 'vps:engine'), { outcome: 'changed', detail: 'would install package v2ray' });
  t.false(vps.state.packages.has('v2ray'));
});
