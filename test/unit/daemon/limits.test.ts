/**
 * Issue 11 #10, the status endpoint's limits (each failed before the fix):
 * a token on loopback too (no token_file: one is made in the state dir, 0600),
 * header/request timeouts of 10 s (and a slow client really cut off), a
 * connection cap, a request body limit.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../../src/config/validate.js';
import { createLogger } from '../../../src/core/logger.js';
import { startDaemon, type DaemonOptions } from '../../../src/daemon/daemon.js';
import { StateStore } from '../../../src/state/store.js';
import { seed } from '../config/_seed.js';

async function daemon(t: import('ava').ExecutionContext, extra: Partial<DaemonOptions> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = seed();
  doc.plugins.privacy_router.daemon = { ...(doc.plugins.privacy_router.daemon ?? {}), token_file: null };
  const config = validateConfig(doc);
  const store = StateStore.open(path.join(dir, 'state'), { create: true });
  t.teardown(() => store.close());
  const logger = createLogger({ level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const jobs = () => [{ name: 'health', cron: '0 0 1 1 *', run: async () => ({}) }];
  const d = await startDaemon({ config, store, logger, listen: '127.0.0.1:0', jobs, healthAtStart: false, live: false, ...extra } as DaemonOptions);
  t.teardown(() => d.stop());
  return { d, store, port: d.server.address.port };
}

/** Resolves when the server closes the socket (or rejects after `ms`: the server never did). */
function closedByServer(s: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    s.on('data', (c) => (got += String(c)));
    const timer = setTimeout(() => reject(new Error(`the server kept the socket open for ${ms} ms (got ${JSON.stringify(got)})`)), ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', () => undefined);
  });
}

const open = (port: number): Promise<Socket> => new Promise((resolve, reject) => {
  const s = connect(port, '127.0.0.1', () => resolve(s));
  s.once('error', reject);
});

test('loopback without daemon.token_file: every endpoint needs the token the daemon made (0600 in the state dir)', async (t) => {
  const { store, port } = await daemon(t);
  for (const p of ['/healthz', '/status', '/metrics', '/']) {
    const r = await fetch(`http://127.0.0.1:${port}${p}`);
    t.is(r.status, 401, p);
  }
  const file = path.join(store.dir, 'daemon.token');
  t.is(statSync(file).mode & 0o777, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  t.true(token.length >= 40);
  const ok = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.is(ok.status, 200);
});

test('header and request timeouts are 10 s by default; a client that never finishes its headers is cut off', async (t) => {
  const { d } = await daemon(t);
  t.is(d.server.server.headersTimeout, 10_000);
  t.is(d.server.server.requestTimeout, 10_000);
  const small = await daemon(t, { limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
  const s = await open(small.port);
  s.write('GET /status HTTP/1.1\r\nHost: x\r\n'); // never the blank line
  const got = await closedByServer(s, 8000);
  t.regex(got, /^HTTP\/1\.1 408|^$/, 'a 408 or a bare close');
});

test('connection cap: a connection over the cap is closed unanswered; under it, requests are served', async (t) => {
  const { port } = await daemon(t, { limits: { maxConnections: 2 } });
  const a = await open(port);
  const b = await open(port);
  const c = await open(port);
  c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  t.is(await closedByServer(c, 5000), '', 'the third socket is dropped without an answer');
  a.destroy();
  b.destroy();
  let status = 0;
  for (let i = 0; i < 50 && status === 0; i++) {
    // The server counts a socket as gone once it has seen its close.
    // Bounded: a request on a socket the server has not yet counted as gone must not hang the test.
    status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
    if (status === 0) await new Promise((r) => setTimeout(r, 100));
  }
  t.is(status, 401, 'served again (401: no token) once under the cap');
});

test('request bodies over 16 KiB are refused with 413', async (t) => {
  const { store, port } = await daemon(t);
  const token = readFileSync(path.join(store.dir, 'daemon.token'), 'utf8').trim();
  const big = JSON.stringify({ name: 'x'.repeat(100 * 1024) });
  const r = await fetch(`http://127.0.0.1:${port}/api/clients`, { method: 'POST', body: big, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  t.is(r.status, 413);
  // Streamed without a Content-Length (chunked): cut off while reading.
  const chunked = await fetch(`http://127.0.0.1:${port}/api/clients`, {
    method: 'POST', duplex: 'half', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: new ReadableStream({ start(ctl) { for (let i = 0; i < 40; i++) ctl.enqueue(new TextEncoder().encode('x'.repeat(1024))); ctl.close(); } }),
  } as RequestInit).then((x) => x.status, () => 413);
  t.is(chunked, 413);
});
