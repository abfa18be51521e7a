/**
 * Issue 11 item 3: the CLI and the daemon never change the node at the same
 * time. The daemon runs with its real lock wrapping (startDaemon) around jobs
 * whose body the test holds open; the CLI runs in-process on the same state dir.
 * A CLI command started during a job waits (bounded, PRIVROUTE_LOCK_WAIT), then
 * exits 1 naming the daemon job, and changes nothing; once the job ends it runs.
 * The other way round: a job started while a CLI command (another process)
 * holds the lock fails its run naming that command, without running its body.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/program.js';
import { validateConfig } from '../../../src/config/validate.js';
import { createLogger } from '../../../src/core/logger.js';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import type { JobSpec } from '../../../src/daemon/scheduler.js';
import { StateStore } from '../../../src/state/store.js';
import { listClients } from '../../../src/tunnel/client-repo.js';
import { memoryIo } from '../cli/_io.js';
import { seed } from '../config/_seed.js';

const HOLDER = fileURLToPath(new URL('../state/_lock-holder.ts', import.meta.url));

interface Rig {
  dir: string;
  stateDir: string;
  cfgFile: string;
  store: StateStore;
  daemon: Daemon;
  /** Jobs whose body started, in order. */
  ran: string[];
  /** Start a job by name; resolves once its body runs (it holds the lock then). */
  start(name: string): Promise<{ finish(): void; done: Promise<unknown> }>;
  cli(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
}

async function rig(t: import('ava').ExecutionContext, jobNames: string[], lockWaitMs = 60_000): Promise<Rig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'prrace-'));
  const doc = seed();
  const r = doc.plugins.privacy_router;
  r.wireguard = { ...r.wireguard, interface: `prr${process.pid % 10000}`, endpoint: 'vpn.example.com:51820' };
  const cfgFile = path.join(dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify(doc));
  const stateDir = path.join(dir, 'state');
  const store = StateStore.open(stateDir, { create: true });
  const gates = new Map<string, { entered: () => void; release: Promise<void> }>();
  const ran: string[] = [];
  const jobs = (): JobSpec[] =>
    jobNames.map((name) => ({
      name, cron: '0 0 1 1 *',
      run: async () => {
        ran.push(name);
        const g = gates.get(name);
        if (!g) return { ran: name };
        g.entered();
        await g.release;
        return { ran: name };
      },
    }));
  const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const daemon = await startDaemon({ config: validateConfig(doc), store, logger, listen: '127.0.0.1:0', jobs, healthAtStart: false, lockWaitMs });
  const finishers: (() => void)[] = [];
  t.teardown(async () => {
    for (const f of finishers) f(); // a failed assertion must not leave a job (and stop()) waiting forever
    await daemon.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { PRIVROUTE_LOCK_WAIT: '0.3', PRIVROUTE_WG_SOCKET_DIR: path.join(dir, 'no-sockets') };
  return {
    dir, stateDir, cfgFile, store, daemon, ran,
    async start(name) {
      let entered!: () => void;
      let finish!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      gates.set(name, { entered, release: new Promise<void>((r) => (finish = r)) });
      finishers.push(finish);
      const done = daemon.scheduler.trigger(name);
      await inside;
      return { finish, done };
    },
    async cli(...argv) {
      const io = memoryIo(env);
      const code = await run(['--config', cfgFile, '--state-dir', stateDir, ...argv], io);
      return { code, out: io.out.text, err: io.err.text };
    },
  };
}

const busy = (job: string) => new RegExp(`another privroute is running \\(pid ${process.pid}, command daemon job ${job}, since `);

test('rotate warp racing the health job: waits, exits 1 naming the job; runs once the job is done', async (t) => {
  const r = await rig(t, ['health']);
  const job = await r.start('health');
  const during = await r.cli('rotate', 'warp');
  t.is(during.code, 1, during.err);
  t.regex(during.err, /waiting up to 0\.3 s for another privroute \(pid \d+, command daemon job health\)/);
  t.regex(during.err, busy('health'));
  t.notRegex(during.err, /no WARP device/, 'the rotation did not start');
  job.finish();
  await job.done;
  const after = await r.cli('rotate', 'warp');
  t.is(after.code, 1);
  t.regex(after.err, /no WARP device to rotate yet/, 'past the lock: the real rotation ran (and found no device)');
});

test('revoke-client racing a repair: exits 1 and the client is untouched; revoked once the repair is done', async (t) => {
  const r = await rig(t, ['health']);
  const add = await r.cli('add-client', 'alice');
  t.is(add.code, 0, add.err);
  const job = await r.start('health');
  const during = await r.cli('revoke-client', 'alice');
  t.is(during.code, 1, during.err);
  t.regex(during.err, busy('health'));
  t.deepEqual(listClients(r.store.db).map((c) => c.name), ['alice'], 'nothing changed while the repair ran');
  job.finish();
  await job.done;
  const after = await r.cli('revoke-client', 'alice');
  t.is(after.code, 0, after.err);
  t.deepEqual(listClients(r.store.db), []);
});

test('XRay rotation started twice (the cron job and the CLI): the second exits 1 naming the first', async (t) => {
  const r = await rig(t, ['rotate_xray']);
  const job = await r.start('rotate_xray');
  const during = await r.cli('rotate', 'xray');
  t.is(during.code, 1, during.err);
  t.regex(during.err, busy('rotate_xray'));
  job.finish();
  t.is(((await job.done) as { lastOutcome: string }).lastOutcome, 'ok');
});

test('a daemon job started while a CLI command holds the lock fails its run naming it, without running', async (t) => {
  const r = await rig(t, ['health'], 300);
  const holder: ChildProcess = spawn(process.execPath, ['--import', 'tsx', HOLDER, r.stateDir, 'rotate warp'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void holder.kill('SIGKILL'));
  await new Promise<void>((resolve) => holder.stdout!.on('data', (b: Buffer) => b.toString().includes('held') && resolve()));
  const rec = await r.daemon.scheduler.trigger('health');
  t.deepEqual(r.ran, [], 'the job body did not run');
  t.is(rec.lastOutcome, 'failed');
  t.regex(rec.lastError ?? '', new RegExp(`another privroute is running \\(pid ${holder.pid}, command rotate warp, since `));
});
