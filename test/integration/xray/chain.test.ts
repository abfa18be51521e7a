/**
 * The XRay hop end to end in namespaces, with the real Debian v2ray on both ends:
 *
 *   cdev (10.66.0.2) -> ct100 (gateway, forwards) -> ct101 (XRay client: REDIRECT,
 *   SOCKS, DNS inbound) -> wan bridge 10.77.0.1 ("warp0") -> vps (sshd + v2ray
 *   server, provisioned over SSH) -> inet (web server, dnsmasq)
 *
 * Proves: provisioning through ssh2 (and a second run unchanged), the client
 * config + hardening (idempotent), SOCKS and transparent requests arriving at the
 * web server from the VPS address, DNS through the tunnel, health, lockstep
 * rotation under a request loop without a failed request, a changed host key
 * refused, REALITY refused on v2ray before anything is written.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, createNetns, startProcess, uniquePrefix, vethPair, waitFor } from '../../../src/lab/harness/index.js';
import { buildWorld, type World } from '../../../src/lab/world.js';
import { startLabVps, type LabVps } from '../../../src/lab/standins/vps.js';
import { validateConfig, type Config } from '../../../src/config/index.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { StateStore } from '../../../src/state/store.js';
import { ensureMaterial, loadMaterial } from '../../../src/xray/state.js';
import { provisionVps, vpsServiceSpec } from '../../../src/xray/vps/provision.js';
import { vpsDesiredFromConfig } from '../../../src/xray/vps/desired.js';
import { planVps } from '../../../src/xray/vps/plan.js';
import { vpsLayout, type VpsLayout } from '../../../src/xray/vps/layout.js';
import { applyClient, clientDesiredFromConfig, clientLayout, clientServiceSpec, type ClientLayout } from '../../../src/xray/client.js';
import { detectEngine } from '../../../src/xray/engine.js';
import { xrayHealth } from '../../../src/xray/health.js';
import { rotateXray } from '../../../src/xray/rotate.js';
import { initXray } from '../../../src/xray/init.js';
import type { EngineInfo } from '../../../src/xray/types.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('v2ray', 'sshd', 'dnsmasq', 'curl', 'dig', 'iptables', 'start-stop-daemon'));
const serial = skip ? test.skip : test.serial;

const VPS_ADDR = '198.18.3.2';
const WEB = 'http://198.18.4.2/';
const scope = skip ? undefined : new Scope(uniquePrefix('prx'));
let world: World;
let vps: LabVps;
let ct101: NetnsExec;
let cdev: NetnsExec;
let store: StateStore;
let config: Config;
let vLayout: VpsLayout;
let cLayout: ClientLayout;
let clientEngine: EngineInfo;

function makeConfig(profile: 'vless-tls' | 'vless-reality-vision'): Config {
  return validateConfig({ version: 1, plugins: { privacy_router: {
    bridge_name: 'ovsbr0',
    chain_network: { subnet: '10.77.0.0/24' },
    wireguard: { enabled: true, container_id: 100, socket_port: 'internal_100', subnet: '10.66.0.0/24' },
    warp: { enabled: true, interface: 'warp0' },
    xray: { enabled: true, container_id: 101, socket_port: 'internal_101', socks_port: 1080, profile, upstream_dns: '198.18.4.2', probe_url: WEB },
    vps: { xray_server: VPS_ADDR, xray_port: 443, engine_install: 'package', firewall: 'iptables' },
  } } });
}

const vpsDesired = () => vpsDesiredFromConfig(config, loadMaterial(store)!, { service: 'process', layout: vLayout, clientEngine });
const clientDesired = () => clientDesiredFromConfig(config, applianceTopology(config, store), loadMaterial(store)!, { service: 'process', layout: cLayout });
const webLines = (needle: string) => world.webLog().split('\n').filter((l) => l.includes(needle));
/** The client address of an http.server log line (it listens on ::, so IPv4 shows as ::ffff:a.b.c.d). */
const sourceOf = (line: string | undefined) => (line ?? '').split(' ')[0]!.replace(/^::ffff:/, '');

test.before(async () => {
  if (!scope) return;
  world = await buildWorld(scope);
  // The chain segment: a bridge in the wan router plays warp0 (10.77.0.1).
  await world.wan.run(['ip', 'link', 'add', 'brc', 'type', 'bridge']);
  await world.wan.run(['ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'brc']);
  await world.wan.run(['ip', 'link', 'set', 'brc', 'up']);
  ct101 = await createNetns(scope, 'ct101');
  const ct100 = await createNetns(scope, 'ct100', { forwarding: true });
  cdev = await createNetns(scope, 'cdev');
  await vethPair(scope, { ns: world.wan.name, name: 'c101' }, { ns: ct101.name, name: 'internal_101', cidr: '10.77.0.101/24' });
  await vethPair(scope, { ns: world.wan.name, name: 'c100' }, { ns: ct100.name, name: 'internal_100', cidr: '10.77.0.100/24' });
  for (const p of ['c101', 'c100']) await world.wan.run(['ip', 'link', 'set', p, 'master', 'brc']);
  await vethPair(scope, { ns: ct100.name, name: 'cl0', cidr: '10.66.0.1/24' }, { ns: cdev.name, name: 'eth0', cidr: '10.66.0.2/24' });
  await cdev.run(['ip', 'route', 'add', 'default', 'via', '10.66.0.1']);
  await ct100.run(['ip', 'route', 'add', 'default', 'via', '10.77.0.101']); // the gateway's policy route, simplified

  vps = await startLabVps(scope, world.vps.name, VPS_ADDR);
  vLayout = vpsLayout(vps.root, 10085);
  const croot = path.join(scope.dir, 'ct101-root');
  cLayout = clientLayout(croot, 10085);
  store = StateStore.open(path.join(scope.dir, 'state'), { create: true });
  config = makeConfig('vless-tls');
  ensureMaterial(store, VPS_ADDR);
  clientEngine = (await detectEngine(ct101))!;
  scope.defer('xray processes', async () => {
    for (const [exec, pid] of [[ct101, cLayout.pidFile], [world.vps, vLayout.pidFile]] as const) {
      await exec.run(['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--pidfile', pid, '--retry', 'TERM/3/KILL/2', '--remove-pidfile'], { okCodes: [0, 1, 2, 3] }).catch(() => undefined);
    }
  });
  scope.defer('state store', () => store.close());
});

test.after.always(async () => {
  await scope?.close();
});

serial('VPS provisioned over SSH with Debian v2ray (vless-tls); a second run is unchanged', async (t) => {
  const planned = await planVps(vps.ssh(), vpsDesired());
  t.false(planned.unchanged);
  t.false(existsSync(vLayout.configPath)); // plan wrote nothing
  const first = await provisionVps(vps.ssh(), vpsDesired());
  t.is(first.engine.kind, 'v2ray');
  t.false(first.unchanged);
  t.true(first.steps.some((s) => s.step === 'vps:run' && s.outcome === 'changed'));
  t.true(first.target.startsWith('ssh:root@'));
  const cfg = JSON.parse(readFileSync(vLayout.configPath, 'utf8'));
  t.is(cfg.inbounds[0].streamSettings.security, 'tls');
  const fw = await world.vps.run(['iptables', '-w', '-S', 'PRIVROUTE-XRAY']);
  t.regex(fw.stdout, /--dport 443 .*-j ACCEPT/); // with its ownership comment between

  const second = await provisionVps(vps.ssh(), vpsDesired());
  t.true(second.unchanged, JSON.stringify(second.steps));
  t.true((await planVps(vps.ssh(), vpsDesired())).unchanged);
});

serial('client container: config, engine, hardening; a second run is unchanged', async (t) => {
  const first = await applyClient(ct101, clientDesired());
  t.false(first.unchanged);
  t.is((await ct101.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '0');
  t.regex((await ct101.run(['ip', '-4', 'route', 'show', 'default'])).stdout, /via 10\.77\.0\.1 dev internal_101/);
  t.regex((await ct101.run(['ip', '-4', 'route', 'show', '10.66.0.0/24'])).stdout, /via 10\.77\.0\.100 dev internal_101/);
  const second = await applyClient(ct101, clientDesired());
  t.true(second.unchanged, JSON.stringify(second.steps));
});

serial('SOCKS request arrives at the web server from the VPS address', async (t) => {
  const r = await ct101.run(['curl', '--socks5-hostname', '127.0.0.1:1080', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `${WEB}?via=socks`]);
  t.is(r.stdout, '200');
  const lines = webLines('via=socks');
  t.is(lines.length, 1);
  t.is(sourceOf(lines[0]), VPS_ADDR, lines[0]);
});

serial('transparent REDIRECT from a client behind the gateway arrives from the VPS address', async (t) => {
  const r = await cdev.run(['curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `${WEB}?via=redirect`]);
  t.is(r.stdout, '200');
  const lines = webLines('via=redirect');
  t.is(lines.length, 1);
  t.is(sourceOf(lines[0]), VPS_ADDR, lines[0]);
});

/** Serve `secret.txt` on `ip:80` inside the VPS namespace: what a client must never read. */
async function vpsInternalListener(name: string, ip: string): Promise<{ log(): string; stop(): Promise<void> }> {
  const dir = path.join(scope!.dir, `${name}-www`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'secret.txt'), `${SECRET}\n`);
  const p = await startProcess(scope!, { name, ns: world.vps.name, argv: ['python3', '-u', '-m', 'http.server', '80', '--bind', ip, '--directory', dir] });
  await waitFor(name, async () => (await world.vps.run(['ss', '-ltn'])).stdout.includes(`${ip}:80 `));
  return p;
}
const SECRET = 'vps-internal-secret';

// Issue 11 item 1: CT101 used to sniff HTTP/TLS and send the *name* to the VPS,
// which resolved it and connected past its IP-only block rules. The names are
// served by the lab's resolver (the VPS's system resolver too) and point at
// addresses that exist only on the VPS.
serial('names that resolve to the VPS loopback or metadata address are unreachable through the chain', async (t) => {
  const { loopbackName, metadataName, metadataAddr } = world.vpsInternal;
  await world.vps.run(['ip', 'addr', 'add', `${metadataAddr}/32`, 'dev', 'lo']);
  const loop = await vpsInternalListener('vps-loop-www', '127.0.0.1');
  const meta = await vpsInternalListener('vps-meta-www', metadataAddr);
  // Control: the listeners answer inside the VPS, and the VPS resolves lab names.
  t.is((await world.vps.run(['curl', '-sS', `http://${loopbackName}/secret.txt?control`])).stdout.trim(), SECRET);
  t.is((await world.vps.run(['curl', '-sS', `http://${metadataName}/secret.txt?control`])).stdout.trim(), SECRET);
  // Control: a public name through the chain works (so a refusal below is not a resolver failure).
  const ok = await ct101.run(['curl', '--socks5-hostname', '127.0.0.1:1080', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${world.dns.name}/?via=name`]);
  t.is(ok.stdout, '200');
  t.is(sourceOf(webLines('via=name')[0]), VPS_ADDR);

  const attempts: Array<[string, NetnsExec, string[]]> = [];
  for (const host of [loopbackName, metadataName, 'localhost', 'LOCALHOST.', 'anything.localhost', '127.0.0.1', metadataAddr]) {
    // A client behind the gateway: transparent REDIRECT, Host header naming the target (the sniffing path).
    attempts.push([`redirect Host: ${host}`, cdev, ['curl', '-sS', '--max-time', '5', '-H', `Host: ${host}`, 'http://198.18.4.2/secret.txt']]);
    // CT101's own SOCKS with the name: the server must refuse it on its own (defence in depth).
    attempts.push([`socks ${host}`, ct101, ['curl', '--socks5-hostname', '127.0.0.1:1080', '-sS', '--max-time', '5', `http://${host}/secret.txt`]]);
  }
  const reached: string[] = [];
  for (const [label, exec, argv] of attempts) {
    const r = await exec.run(argv, { okCodes: Array.from({ length: 100 }, (_, i) => i) });
    if (r.stdout.includes(SECRET)) reached.push(label);
  }
  t.deepEqual(reached, []);
  // Only the in-VPS controls (`?control`) ever reached the listeners.
  t.false(loop.log().includes('GET /secret.txt HTTP'), loop.log());
  t.false(meta.log().includes('GET /secret.txt HTTP'), meta.log());
  await loop.stop();
  await meta.stop();
});

serial('client DNS (UDP and TCP, to any address) is answered through the tunnel', async (t) => {
  // 198.18.9.9 does not exist: only the REDIRECT to the DNS inbound can answer.
  for (const proto of ['+notcp', '+tcp']) {
    const r = await cdev.run(['dig', proto, '+short', '+time=3', '+tries=1', '@198.18.9.9', world.dns.name]);
    t.is(r.stdout.trim(), world.dns.answer, proto);
  }
});

serial('client UDP other than DNS is dropped in CT101, not forwarded past the VPS', async (t) => {
  const listener = await startProcess(scope!, {
    name: 'udp-witness', ns: world.inet.name,
    argv: ['python3', '-u', '-c', "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('198.18.4.2',9999))\nprint('ready',flush=True)\nwhile True:\n  d,a=s.recvfrom(2048); print('got',a[0],d[-8:].hex(),flush=True)"],
  });
  await waitFor('udp witness', () => listener.log().includes('ready'));
  // Control: the witness does hear UDP (sent by CT101 itself, which has a route).
  await ct101.run(['dig', '+time=1', '+tries=1', '-p', '9999', '@198.18.4.2', 'control.test'], { okCodes: [0, 9] });
  await waitFor('control datagram', () => listener.log().includes('got 10.77.0.101'));
  // A client behind the gateway: no answer, and nothing arrives.
  const r = await cdev.run(['dig', '+time=1', '+tries=1', '-p', '9999', '@198.18.4.2', 'leak.test'], { okCodes: [0, 9] });
  t.is(r.code, 9);
  t.false(listener.log().includes('got 10.66.0.2'), listener.log());
  t.is(listener.log().split('\n').filter((l) => l.startsWith('got')).length, 1);
  await listener.stop();
});

serial('health: SOCKS probe, both services, engine stats; a stopped VPS engine is seen and repaired', async (t) => {
  const engine = (await detectEngine(world.vps, 'v2ray'))!;
  const health = () => xrayHealth({
    config, vps: vps.ssh(), container: ct101, vpsEngine: engine, apiPort: vLayout.apiPort, vpsService: 'process', clientService: 'process',
    vpsSpec: vpsServiceSpec(vpsDesired(), engine), clientSpec: clientServiceSpec(clientDesired(), clientEngine),
  });
  const h = await health();
  t.true(h.ok, JSON.stringify(h));
  t.truthy(h.stats, h.statsNote);
  t.true((h.stats!['inbound>>>vless-in>>>traffic>>>uplink'] ?? 0) > 0);

  await world.vps.run(['start-stop-daemon', '--stop', '--quiet', '--pidfile', vLayout.pidFile, '--retry', 'TERM/3/KILL/2', '--remove-pidfile']);
  const down = await health();
  t.false(down.ok);
  t.false(down.vpsService.ok);
  t.false(down.socks.ok, down.socks.detail); // fails closed: no path around the VPS
  const repaired = await provisionVps(vps.ssh(), vpsDesired());
  t.like(repaired.steps.find((s) => s.step === 'vps:run'), { outcome: 'changed' });
  t.true((await health()).ok);
});

serial('rotation under a running request loop (SOCKS and transparent) loses no request', async (t) => {
  const before = loadMaterial(store)!;
  let done = 0;
  const failures: string[] = [];
  let rotationStartedAt = -1;
  let rotationEndedAt = -1;
  const loop = (async () => {
    for (let i = 0; i < 200; i++) {
      try {
        // Alternate the two paths: SOCKS inside CT101, and the transparent REDIRECT from a client.
        const r = i % 2 === 0
          ? await ct101.run(['curl', '--socks5-hostname', '127.0.0.1:1080', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `${WEB}?loop=${i}`])
          : await cdev.run(['curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `${WEB}?loop=${i}`]);
        if (r.stdout !== '200') failures.push(`#${i}: HTTP ${r.stdout}`);
      } catch (e) {
        failures.push(`#${i}: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}`);
      }
      done++;
    }
  })();
  while (done < 20) await new Promise((r) => setTimeout(r, 20));
  rotationStartedAt = done;
  const report = await rotateXray({
    config, store, topology: applianceTopology(config, store), vps: vps.ssh(), container: ct101, vpsService: 'process', clientService: 'process', vpsLayout: vLayout, clientLayout: cLayout,
  });
  rotationEndedAt = done;
  await loop;
  t.deepEqual(failures, []);
  // Every request of the loop reached the web server from the VPS.
  const loopLines = webLines('?loop=');
  t.is(loopLines.length, 200);
  t.true(loopLines.every((l) => sourceOf(l) === VPS_ADDR));
  t.true(rotationStartedAt < 200 && rotationEndedAt < 200, `the loop ran across the rotation (${rotationStartedAt}..${rotationEndedAt})`);
  t.is(report.serverMethod, 'hot');
  t.is(report.clientMethod, 'hot');
  t.is(report.toGeneration, before.generation + 1);

  const after = loadMaterial(store)!;
  t.not(after.clientUser.uuid, before.clientUser.uuid);
  t.deepEqual(after.serverUsers.map((u) => u.uuid), [after.clientUser.uuid]);
  const server = JSON.parse(readFileSync(vLayout.configPath, 'utf8'));
  t.deepEqual(server.inbounds[0].settings.clients.map((c: { id: string }) => c.id), [after.clientUser.uuid]);
  // Files and running engines agree: init over both ends changes nothing.
  const again = await initXray({ config, store, topology: applianceTopology(config, store), vps: vps.ssh(), container: ct101, vpsService: 'process', clientService: 'process', vpsLayout: vLayout, clientLayout: cLayout });
  t.true(again.unchanged, JSON.stringify(again.steps));
  const r = await ct101.run(['curl', '--socks5-hostname', '127.0.0.1:1080', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `${WEB}?after=rotation`]);
  t.is(r.stdout, '200');
  t.is(sourceOf(webLines('after=rotation')[0]), VPS_ADDR);
});

serial('a changed host key is refused, naming host, step and both fingerprints', async (t) => {
  const wrong = 'SHA256:' + 'A'.repeat(43);
  const err = await t.throwsAsync(provisionVps(vps.ssh(wrong), vpsDesired()));
  t.regex(err!.message, /^vps:detect: on ssh:root@/);
  t.regex(err!.message, /HOST KEY CHANGED/);
  t.true(err!.message.includes(wrong));
  t.true(err!.message.includes(vps.sshd.hostKeyFingerprint));
});

serial('vless-reality-vision is refused on v2ray before any config is written', async (t) => {
  const live = readFileSync(vLayout.configPath, 'utf8');
  const reality = makeConfig('vless-reality-vision');
  // install "none": v2ray is what is there (with "package" it would install the xray package first).
  const d = { ...vpsDesiredFromConfig(reality, loadMaterial(store)!, { service: 'process', layout: vLayout, clientEngine }), install: 'none' as const };
  const err = await t.throwsAsync(provisionVps(vps.ssh(), d));
  t.regex(err!.message, /^vps:capability: .*"vless-reality-vision" cannot be enforced by V2Ray 4\.34\.0/);
  t.regex((err as { hint?: string }).hint ?? '', /"vless-tls"/);
  t.is(readFileSync(vLayout.configPath, 'utf8'), live);
  const cerr = await t.throwsAsync(applyClient(ct101, clientDesiredFromConfig(reality, applianceTopology(reality, store), loadMaterial(store)!, { service: 'process', layout: cLayout })));
  t.regex(cerr!.message, /^client:capability: .*cannot be enforced by V2Ray/);
});
