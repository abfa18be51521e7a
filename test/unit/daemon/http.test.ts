/**
 * The daemon's HTTP endpoint on 127.0.0.1:0 with injected jobs (no host
 * access): /healthz 503 until a health run converges, then 200; /healthz, /status and
 * /metrics refuse a missing/wrong bearer token and serve with the right one;
 * /metrics carries the job counters; a group/world-readable token file is refused.
 */
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../../src/config/validate.js';
import { createLogger } from '../../../src/core/logger.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import type { DaemonState } from '../../../src/daemon/jobs.js';
import { readTokenFile, bearerMatches } from '../../../src/daemon/token.js';
import { StateStore } from '../../../src/state/store.js';
import type { StatusReport } from '../../../src/health/types.js';
import { seed } from '../config/_seed.js';

const TOKEN = 'tok-' + 'a1b2c3d4e5f6';

function setup(t: import('ava').ExecutionContext, tokenMode = 0o600) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, TOKEN + '\n');
  chmodSync(tokenFile, tokenMode);
  const doc = seed();
  doc.plugins.privacy_router.daemon = { ...(doc.plugins.privacy_router.daemon ?? {}), token_file: tokenFile };
  const config = validateConfig(doc);
  const store = StateStore.open(path.join(dir, 'state'), { create: true });
  t.teardown(() => store.close());
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
  return { config, store, logger, lines, tokenFile };
}

const okStatus = (): StatusReport => ({ ok: true, at: new Date().toISOString(), hops: [{ hop: 'ovs', ok: true, detail: 'fine', checks: [] }, { hop: 'gateway', ok: false, detail: 'down', checks: [] }], protections: [], capabilities: { macRotation: { available: true } } });

/** Jobs whose health outcome the test controls. */
function fakeJobs(outcome: { converge: boolean }) {
  return (state: DaemonState) => [
    {
      name: 'health', cron: '0 0 1 1 *',
      run: async () => {
        state.lastHealth = { at: new Date().toISOString(), converged: outcome.converge, components: [] };
        state.status = okStatus();
        if (!outcome.converge) throw new Error('not converged: gateway failed');
        return { converged: true };
      },
    },
    { name: 'expire_clients', cron: '*/5 * * * *', run: async () => { throw new Error('device unreachable'); } },
  ];
}

async function get(d: Daemon, p: string, token?: string): Promise<{ status: number; body: string; type: string | null }> {
  const a = d.server.address;
  const r = await fetch(`http://127.0.0.1:${a.port}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

test('healthz 503 until a health run converges, then 200; the token is needed (401 without)', async (t) => {
  const s = setup(t);
  const outcome = { converge: false };
  const d = await startDaemon({ ...s, listen: '127.0.0.1:0', jobs: fakeJobs(outcome), healthAtStart: false, live: false });
  t.teardown(() => d.stop());
  t.is((await get(d, '/healthz')).status, 401, 'no token');
  t.is((await get(d, '/healthz', TOKEN)).status, 503, 'no run yet');
  await d.scheduler.trigger('health');
  const failed = await get(d, '/healthz', TOKEN);
  t.is(failed.status, 503);
  t.regex(failed.body, /not converged/);
  outcome.converge = true;
  await d.scheduler.trigger('health');
  const ok = await get(d, '/healthz', TOKEN);
  t.is(ok.status, 200);
  t.true(JSON.parse(ok.body).ok);
});

test('/status and /metrics require the bearer token', async (t) => {
  const s = setup(t);
  const d = await startDaemon({ ...s, listen: '127.0.0.1:0', jobs: fakeJobs({ converge: true }), healthAtStart: false, live: false });
  t.teardown(() => d.stop());
  for (const p of ['/status', '/metrics']) {
    t.is((await get(d, p)).status, 401, `${p} without a token`);
    t.is((await get(d, p, 'wrong-token-value')).status, 401, `${p} with a wrong token`);
  }
  t.is((await get(d, '/status', TOKEN)).status, 503, 'no status before the first health run');
  await d.scheduler.trigger('health');
  const st = await get(d, '/status', TOKEN);
  t.is(st.status, 200);
  const doc = JSON.parse(st.body);
  t.deepEqual(doc.hops.map((h: { hop: string }) => h.hop), ['ovs', 'gateway']);
  t.like(doc.daemon.lastHealth, { converged: true });
  t.is(doc.daemon.macRotation.available, null);
  t.is((await get(d, '/nope', TOKEN)).status, 404);
});

test('/metrics: job runs and failures by job, last success, hop gauges', async (t) => {
  const s = setup(t);
  const d = await startDaemon({ ...s, listen: '127.0.0.1:0', jobs: fakeJobs({ converge: true }), healthAtStart: false, live: false });
  t.teardown(() => d.stop());
  const before = (await get(d, '/metrics', TOKEN)).body;
  t.regex(before, /privroute_daemon_job_runs_total\{job="health"\} 0/);
  await d.scheduler.trigger('health');
  await d.scheduler.trigger('expire_clients');
  await d.scheduler.trigger('expire_clients');
  const m = await get(d, '/metrics', TOKEN);
  t.is(m.status, 200);
  t.regex(m.type ?? '', /text\/plain/);
  t.regex(m.body, /privroute_daemon_job_runs_total\{job="health"\} 1/);
  t.regex(m.body, /privroute_daemon_job_failures_total\{job="health"\} 0/);
  t.regex(m.body, /privroute_daemon_job_runs_total\{job="expire_clients"\} 2/);
  t.regex(m.body, /privroute_daemon_job_failures_total\{job="expire_clients"\} 2/);
  t.regex(m.body, /privroute_daemon_job_last_success_timestamp_seconds\{job="health"\} [1-9]\d+/);
  t.regex(m.body, /privroute_daemon_job_last_success_timestamp_seconds\{job="expire_clients"\} 0/);
  t.regex(m.body, /privroute_hop_healthy\{hop="ovs"\} 1/);
  t.regex(m.body, /privroute_hop_healthy\{hop="gateway"\} 0/);
  t.regex(m.body, /privroute_health_converged 1/);
  t.regex(m.body, /privroute_clients\{state="total"\} 0/);
  // The failing job was logged through the daemon's child logger.
  t.true(s.lines.some((l) => /"component":"daemon"/.test(l) && /"job":"expire_clients"/.test(l) && /job failed/.test(l)));
});

test('a group/world-readable token file is refused: the daemon does not start', async (t) => {
  const s = setup(t, 0o644);
  await t.throwsAsync(startDaemon({ ...s, listen: '127.0.0.1:0', jobs: fakeJobs({ converge: true }), healthAtStart: false }), { instanceOf: PreconditionError, message: /accessible by group\/others \(mode 644\)/ });
  chmodSync(s.tokenFile, 0o640);
  t.throws(() => readTokenFile(s.tokenFile), { message: /mode 640/ });
  chmodSync(s.tokenFile, 0o600);
  t.is(readTokenFile(s.tokenFile), TOKEN);
});

test('bearer matching', (t) => {
  t.true(bearerMatches(`Bearer ${TOKEN}`, TOKEN));
  t.true(bearerMatches(`bearer ${TOKEN}`, TOKEN));
  t.false(bearerMatches(`Bearer ${TOKEN}x`, TOKEN));
  t.false(bearerMatches(TOKEN, TOKEN));
  t.false(bearerMatches(undefined, TOKEN));
});
