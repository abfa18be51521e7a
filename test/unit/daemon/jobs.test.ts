/**
 * The production job list: one job per daemon.schedules key for the enabled
 * hops, with the configured cron; a MAC rotation found unavailable is not
 * retried (it would only disturb the chain), and nothing is touched.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../../src/config/validate.js';
import { productionJobs, type DaemonState } from '../../../src/daemon/jobs.js';
import { StateStore } from '../../../src/state/store.js';
import { seed } from '../config/_seed.js';

function deps(t: import('ava').ExecutionContext, mutate: (r: any) => void = () => {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prj-'));
  const store = StateStore.open(dir, { create: true });
  t.teardown(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });
  const doc = seed();
  mutate(doc.plugins.privacy_router);
  const state: DaemonState = { lastHealth: null, status: null, macRotation: null };
  return { config: validateConfig(doc), store, logger: pino({ level: 'silent' }), state };
}

test('one job per schedule, with the configured cron', (t) => {
  const d = deps(t, (r) => { r.daemon = { ...(r.daemon ?? {}), schedules: { ...(r.daemon?.schedules ?? {}), rotate_xray: '7 5 * * 1' } }; });
  const jobs = productionJobs(d);
  const s = d.config.plugins.privacy_router.daemon.schedules;
  t.deepEqual(jobs.map((j) => j.name).sort(), ['expire_clients', 'health', 'rotate_mac', 'rotate_warp', 'rotate_xray']);
  t.is(jobs.find((j) => j.name === 'rotate_xray')!.cron, '7 5 * * 1');
  for (const j of jobs) t.is(j.cron, (s as unknown as Record<string, string>)[j.name]);
});

test('disabled hops have no rotation job', (t) => {
  const d = deps(t, (r) => { r.xray.enabled = false; });
  t.false(productionJobs(d).some((j) => j.name === 'rotate_xray'));
});

test('a MAC rotation while an interrupted one is open refuses, touches nothing, and says why', async (t) => {
  const d = deps(t);
  d.store.setKv('mac_salt', 'abc');
  d.store.setKv('mac_rotation', JSON.stringify({ from: 'abc', to: 'def', rotationId: 7, startedAt: new Date().toISOString() }));
  const job = productionJobs(d).find((j) => j.name === 'rotate_mac')!;
  await t.throwsAsync(job.run(), { message: /MAC rotation \(#7.*did not finish/ });
  t.is(d.store.getKv('mac_salt'), 'abc');
  t.like(d.state.macRotation, { available: false });
  t.regex(d.state.macRotation!.reason!, /did not finish/);
});