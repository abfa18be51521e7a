/**
 * Issue 11 item 6: a known secret driven down every failure path must appear in
 * no output: log lines (fields at any depth, error serializer incl. stdout/stderr
 * and causes), the CLI's error text and --json error, the daemon's /status
 * (lastError, component details) and /metrics.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorJson, printError } from '../../../src/cli/errors.js';
import { validateConfig } from '../../../src/config/validate.js';
import { InputError, OperationError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import { startDaemon } from '../../../src/daemon/daemon.js';
import type { DaemonState } from '../../../src/daemon/jobs.js';
import { ExecError } from '../../../src/host/exec.js';
import { StateStore } from '../../../src/state/store.js';
import { MemoryStream } from './_mem.js';
import { seed } from '../config/_seed.js';

// Generated for this test only.
const PRIV = 'kBq7m2cK1n7ZQ0yF8eJc5vH3o9aUx4WtRr6pLs2dNWk=';
const PSK = 'Jx3v9QmZ2kP7wT4bY8nC1rF6hL0sD5gA3eV7uK2oM9s=';
const SHORT_TOKEN = 'tok3n-s3cr3t'; // no recognizable shape: only its key name says it is secret
const ALL = [PRIV, PSK, SHORT_TOKEN];

/** `wg show <if> dump` as the kernel backend reads it: the interface line holds the private key, peer lines the PSK. */
const DUMP = `${PRIV}\tpubkeypubkeypubkeypubkeypubkeypubkeypubk=\t51820\toff\nPEERPUBpeerpubPEERPUBpeerpubPEERPUBpeerpub=\t${PSK}\t(none)\t10.0.0.2/32\t0\t0\t0\toff\n`;
const execFail = () => new ExecError({ target: 'local', argv: ['wg', 'show', 'prw0', 'dump'], code: 1, reason: 'exit code 1', stdout: DUMP, stderr: `wg: bad psk ${PSK}`, cause: new Error(`inner ${PRIV}`) });

function clean(t: import('ava').ExecutionContext, where: string, text: string): void {
  t.not(text, '', `${where}: something was written`);
  for (const s of ALL) t.false(text.includes(s), `${where} leaked ${s}:\n${text}`);
}

test('logs: the error serializer scrubs stdout/stderr/cause; secret key names at depth 6', async (t) => {
  const out = new MemoryStream();
  const log = createLogger({ level: 'trace', destination: out });
  log.error({ err: execFail() }, 'wg show failed');
  log.info({ a: { b: { c: { d: { e: { token: SHORT_TOKEN } } } } } }, 'deep');
  log.info({ peers: [{ presharedKey: PSK }] }, 'in an array');
  await new Promise((r) => setImmediate(r));
  clean(t, 'log', out.text);
  t.regex(out.text, /wg show failed/);
});

test('cli: error text and --json error carry no secret (message, hint, problems)', (t) => {
  const errs = [execFail(), new OperationError('warp', `rejected key ${PRIV}`, { hint: `retry with ${PSK}` }), new InputError({ path: 'x.private_key', value: PRIV, expected: `not ${PSK}` })];
  for (const e of errs) {
    const err = new MemoryStream();
    printError(e, err, true);
    clean(t, `printError(${e.constructor.name})`, err.text);
    clean(t, `errorJson(${e.constructor.name})`, JSON.stringify(errorJson(e)));
  }
});

test('daemon: /status (lastError, component details, results) and /metrics carry no secret', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prredact-'));
  const store = StateStore.open(path.join(dir, 'state'), { create: true });
  const logs = new MemoryStream();
  const jobs = (state: DaemonState) => [
    {
      name: 'health', cron: '0 0 1 1 *',
      run: async () => {
        state.lastHealth = { at: new Date().toISOString(), converged: false, components: [{ name: 'gateway', status: 'failed' as const, changes: [`set private key ${PRIV}`], detail: execFail().message + `\n${DUMP}`, ms: 1 }] };
        state.status = { ok: false, at: new Date().toISOString(), hops: [{ hop: 'gateway', ok: false, detail: `psk ${PSK}`, checks: [{ name: 'dump', ok: false, detail: DUMP }] }], protections: [], capabilities: { macRotation: { available: false, reason: `psk ${PSK}` } } } as never;
        throw execFail();
      },
    },
    { name: 'expire_clients', cron: '0 0 1 1 *', run: async () => ({ token: SHORT_TOKEN, nested: { a: { b: { c: { privateKey: 'x' + SHORT_TOKEN } } } } }) },
  ];
  const d = await startDaemon({ config: validateConfig(seed()), store, logger: createLogger({ level: 'info', destination: logs }), listen: '127.0.0.1:0', jobs, healthAtStart: false });
  try {
    await d.scheduler.trigger('expire_clients');
    const rec = await d.scheduler.trigger('health');
    t.is(rec.lastOutcome, 'failed');
    // The daemon made its token in the state dir (a token on every address, loopback included).
    const token = readFileSync(path.join(store.dir, 'daemon.token'), 'utf8').trim();
    const get = async (p: string) => (await fetch(`http://127.0.0.1:${d.server.address.port}${p}`, { headers: { authorization: `Bearer ${token}` } })).text();
    const status = await get('/status');
    t.regex(status, /"lastError"/);
    JSON.parse(status); // still valid JSON after redaction
    clean(t, '/status', status);
    clean(t, '/metrics', await get('/metrics'));
    clean(t, 'daemon log', logs.text);
  } finally {
    await d.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
