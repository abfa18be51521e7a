/**
 * `privroute status` against the real lab chain (root): every hop ok and the
 * protections listed honestly; then the gateway's wireguard-go is killed and
 * status must report the gateway failed (exit 1) while the other hops stay
 * judged on their own. Read-only: status changes nothing (it does not restart
 * the gateway). Then `privroute daemon` runs in the
 * node namespace: its first health job repairs the gateway (/healthz 200,
 * /status says the gateway is ok, /metrics counted the run), and SIGTERM stops
 * it gracefully.
 */
import test from 'ava';
import { statusFromJson } from '../../helpers/status-json.js';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labDown, labNs, labUp, type Lab } from '../../../src/lab/lab.js';
import { labIfnames } from '../../../src/lab/lab-config.js';
import { siteAddr } from '../../../src/lab/world.js';
import { isWireguardGoFor, pidsWhere, procGone, startProcess, uniquePrefix, waitFor } from '../../../src/lab/harness/index.js';
import { cliArgv } from '../../../src/lab/self.js';
import type { StatusReport } from '../../../src/health/types.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'dnsmasq', 'curl'),
);
if (skip) console.log(`skipped: ${skip}`);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('d');
let lab: Lab;
/** The healthy status of the first test (its MACs are compared after the MAC rotation). */
let healthy: StatusReport | undefined;
const TRACE = `http://${siteAddr('inet').v4}:8080/cdn-cgi/trace`;

test.before(async () => {
  if (skip) return;
  lab = await labUp({ prefix, log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
});

/** The status document: the first top-level JSON object on stdout (an error object may follow it on exit 1). */
const statusOf = statusFromJson;

/** Kill wireguard-go for exactly this interface (argv match, our unique name). */
function killWireguardGo(iface: string): number {
  const pids = pidsWhere(isWireguardGoFor(iface));
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}

/** Is netmaker enabled in the lab's config? (The seed enables it.) */
function netmakerEnabled(): boolean {
  return JSON.parse(readFileSync(lab.configFile, 'utf8')).plugins.privacy_router.netmaker?.enabled === true;
}

t('status: every hop ok, protections listed honestly', async (tt) => {
  const r = await lab.privroute(['status', '--json', '--warp-trace-url', TRACE], { okCodes: [0, 1] });
  const s = statusOf(r.stdout);
  healthy = s;
  const chain = ['flows', 'gateway', 'ovs', 'warp', 'xray'];
  tt.deepEqual(s.hops.map((h) => h.hop).filter((h) => h !== 'netmaker').sort(), chain);
  for (const h of s.hops.filter((x) => chain.includes(x.hop))) tt.true(h.ok, `${h.hop}: ${h.detail}`);
  // The seed enables the mesh; the lab joins it to the Netmaker server stand-in: ok, with its functions answering.
  tt.true(netmakerEnabled(), 'the lab keeps the seed\'s netmaker section enabled');
  const nm = s.hops.find((h) => h.hop === 'netmaker')!;
  tt.true(nm.ok, nm.detail);
  tt.regex(nm.detail, /joined privacy-mesh as 10\.101\.0\.\d+\/24; 0 peer\(s\); functions vector_db→internal_200 HTTP 200, bucket_storage→internal_201 HTTP 200/);
  tt.is(r.code, 0, `status must pass:\n${r.stdout}\n${r.stderr}`);
  tt.true(s.ok);
  const ids = new Map(s.protections.map((p) => [p.id, p]));
  for (const id of ['miss-drop', 'chain-invariant', 'isolation']) tt.is(ids.get(id)?.status, 'enforced', id);
  for (const p of s.protections.filter((x) => x.status === 'enforced')) tt.true((p.cookies ?? []).length > 0, `${p.id} enforced without a flow`);
  // The lab's v2ray cannot do Vision/REALITY: padding must not be claimed.
  const pad = ids.get('padding');
  if (pad) tt.is(pad.status, 'unavailable');
  tt.is(ids.get('timing')?.status ?? 'unavailable', 'unavailable');
  const warp = s.hops.find((h) => h.hop === 'warp')!;
  tt.is(warp.data?.warp, 'on');
  const gw = s.hops.find((h) => h.hop === 'gateway')!;
  tt.is(gw.data?.peerCount, 2, 'the lab\'s two clients (access port and wan phone) are the peers');
});

t('status: the gateway down is reported failed (exit 1); status changes nothing', async (tt) => {
  tt.true(killWireguardGo(labIfnames(prefix).gateway) >= 1, 'killed the gateway wireguard-go');
  const t0 = Date.now();
  const r = await lab.privroute(['status', '--json', '--warp-trace-url', TRACE], { okCodes: [0, 1] });
  tt.log(`status with the gateway down: ${Date.now() - t0} ms`);
  tt.is(r.code, 1, r.stdout);
  const s = statusOf(r.stdout);
  tt.false(s.ok);
  const gw = s.hops.find((h) => h.hop === 'gateway')!;
  tt.false(gw.ok);
  tt.regex(gw.detail, /check failed|unreachable|socket|connect/i);
  for (const hop of ['ovs', 'flows']) tt.true(s.hops.find((h) => h.hop === hop)!.ok, `${hop} is unaffected`);
  tt.regex(r.stderr, /unhealthy: .*gateway/);
  tt.false(s.hops.find((h) => h.hop === 'ovs')!.detail.includes('gateway'));
  // Human mode shows the FAIL line too.
  const human = await lab.privroute(['status', '--warp-trace-url', TRACE], { okCodes: [1] });
  tt.regex(human.stdout, /^FAIL gateway/m);
  // Read-only: status did not restart the gateway (no wireguard-go for it came back).
  tt.is(killWireguardGo(labIfnames(prefix).gateway), 0, 'status must not start the gateway');
});

/**
 * GET a daemon endpoint from inside the node namespace (the daemon listens on the namespace's loopback).
 * The token (made by the daemon in the state dir: required on loopback too) goes to curl in a 0600
 * header file, never in argv.
 */
async function daemonGet(p: string): Promise<{ code: number; body: string }> {
  const info = JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')) as { stateDir: string };
  const headers = path.join(lab.dir, 'daemon-auth.header');
  let token = '';
  try {
    token = readFileSync(path.join(info.stateDir, 'daemon.token'), 'utf8').trim();
  } catch {
    // not made yet: the daemon is still starting
  }
  writeFileSync(headers, `Authorization: Bearer ${token}\n`, { mode: 0o600 });
  const r = await lab.world.node.run(['curl', '-sS', '--max-time', '5', '-H', `@${headers}`, '-w', '\n%{http_code}', `http://127.0.0.1:9477${p}`], { okCodes: [0, 7, 28, 52, 56] });
  const i = r.stdout.lastIndexOf('\n');
  return { code: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, i) };
}

t('daemon: the first health job repairs the gateway; /healthz, /status, /metrics; SIGTERM stops it', async (tt) => {
  const info = JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')) as { configFile: string; stateDir: string };
  const proc = await startProcess(lab.scope, {
    name: 'privroute-daemon', ns: lab.world.node.name,
    argv: [...cliArgv(), '--config', info.configFile, '--state-dir', info.stateDir, 'daemon', '--warp-trace-url', TRACE],
  });
  try {
    await waitFor('daemon /healthz 200', async () => (await daemonGet('/healthz')).code === 200, 90_000);
    // Loopback needs the token too (issue 11 #10).
    const anon = await lab.world.node.run(['curl', '-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9477/status']);
    tt.is(anon.stdout, '401');
    const st = await daemonGet('/status');
    tt.is(st.code, 200);
    const doc = JSON.parse(st.body) as StatusReport & { daemon: { lastHealth: { converged: boolean }; jobs: { name: string; runs: number }[] } };
    tt.true(doc.hops.find((h) => h.hop === 'gateway')!.ok, 'the health job repaired the gateway');
    tt.true(doc.daemon.lastHealth.converged);
    tt.is(doc.daemon.jobs.find((j) => j.name === 'health')!.runs, 1);
    const m = await daemonGet('/metrics');
    tt.regex(m.body, /privroute_daemon_job_runs_total\{job="health"\} 1/);
    tt.regex(m.body, /privroute_hop_healthy\{hop="gateway"\} 1/);
    tt.regex(m.body, /privroute_clients\{state="total"\} 2/);
    // The repaired gateway is real: status from the CLI agrees.
    const r = await lab.privroute(['status', '--json', '--warp-trace-url', TRACE], { okCodes: [0, 1] });
    tt.true(statusOf(r.stdout).hops.find((h) => h.hop === 'gateway')!.ok);
    // Graceful stop: SIGTERM to the daemon alone (not its group: the tunnels it started stay up).
    process.kill(proc.pid, 'SIGTERM');
    await waitFor('daemon exit', () => procGone(proc.pid), 30_000);
    tt.regex(proc.log(), /daemon stopped/);
    tt.false((await daemonGet('/healthz')).code === 200, 'the endpoint is closed');
  } finally {
    await proc.stop();
  }
});

t('rotate_mac: the daemon job rotates the sockets inside their containers; status shows the new MACs in force', async (tt) => {
  const before = healthy!;
  tt.like(before.capabilities.macRotation, { available: true }, 'MAC rotation is available with the sockets inside their containers');
  const info = JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')) as { configFile: string; stateDir: string };
  const helper = new URL('./rotate-mac-run.ts', import.meta.url).pathname;
  const run = await lab.world.node.run([process.execPath, '--import', import.meta.resolve('tsx'), helper, info.configFile, info.stateDir], { timeoutMs: 180_000 });
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ok: boolean; error?: string; salt: string; state: { available: boolean } };
  tt.true(r.ok, r.error);
  tt.not(r.salt, '');
  tt.like(r.state, { available: true });
  const after = statusOf((await lab.privroute(['status', '--json', '--warp-trace-url', TRACE], { okCodes: [0, 1] })).stdout);
  for (const hop of ['ovs', 'flows']) tt.true(after.hops.find((h) => h.hop === hop)!.ok, `${hop} after the rotation`);
  const b = before.capabilities.macRotation.macs!;
  const a = after.capabilities.macRotation.macs!;
  for (const name of ['internal_100', 'internal_101', 'warp0']) tt.not(a[name], b[name], `${name} has a new MAC`);
  // The MAC in force is the one the link inside its container carries.
  const inCt = await labNs(prefix, 'ct100').run(['ip', '-j', 'link', 'show', 'dev', 'internal_100']);
  tt.is((JSON.parse(inCt.stdout) as { address: string }[])[0]!.address, a.internal_100);
  tt.truthy(after.capabilities.macRotation.lastRotation);
  tt.true((after.rotations ?? []).some((x) => x.kind === 'mac' && x.outcome === 'ok'), 'the rotation is in the log');
});
