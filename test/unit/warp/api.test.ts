/**
 * Protocol tests of the WARP API client against the API stand-in (in-process,
 * HTTPS on loopback with its own CA).
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import https from 'node:https';
import { Writable } from 'node:stream';
import { WarpApi, LicenseRejectedError } from '../../../src/warp/api.js';
import type { WarpHttpOptions } from '../../../src/warp/http.js';
import { finishSetup, registerDevice, setupPending } from '../../../src/warp/account.js';
import { activeAccount, listAccounts } from '../../../src/warp/account-store.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { OperationError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import { StateStore } from '../../../src/state/store.js';
import { startWarpApiStandin, type WarpApiStandin } from '../../../src/lab/standins/warp-api.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prwarp-'));
const edgeKey = generateKeyPair().publicKey;
let stand: WarpApiStandin;
let slept: number[] = [];

test.before(async () => {
  stand = await startWarpApiStandin({
    dir: path.join(tmp, 'ca'),
    peerPublicKey: edgeKey,
    endpoint: { host: 'engage.cloudflareclient.com:2408', v4: '10.99.0.1:0', v6: '[fd99::1]:0' },
    validLicenses: ['GOOD1234-GOOD1234-GOOD1234'],
  });
});
test.after.always(async () => {
  await stand?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function client(extra: Partial<WarpHttpOptions> = {}): WarpApi {
  return new WarpApi({
    baseUrl: stand.url,
    caFile: stand.caFile,
    baseDelayMs: 1,
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
}

function freshStore(): StateStore {
  return StateStore.open(mkdtempSync(path.join(tmp, 'st-')), { create: true });
}

test.serial('register, read, name, rotate key and delete speak the API as wgcf does', async (t) => {
  const api = client();
  const kp = generateKeyPair();
  const before = stand.requests.length;
  const dev = await api.register(kp.publicKey);
  t.regex(dev.id, /^t\./);
  t.is(typeof dev.token, 'string');
  t.is(dev.config.peers[0]!.public_key, edgeKey);
  t.is(stand.devices.get(dev.id)!.key, kp.publicKey);
  const reg = stand.requests[before]!;
  t.is(reg.tls, 'TLSv1.2');
  t.is(reg.httpVersion, '1.1');
  t.is(reg.headers['user-agent'], 'okhttp/3.12.1');
  t.is(reg.headers['cf-client-version'], 'a-6.3-1922');
  t.regex(String(reg.headers['content-type']), /^application\/json/);
  t.is(reg.path, new URL(stand.url).pathname + '/reg');

  const got = await api.getDevice(dev.id, dev.token);
  t.is(got.config.interface.addresses.v4, dev.config.interface.addresses.v4);
  t.is(stand.requests.at(-1)!.headers.authorization, '<bearer>');

  await api.setName(dev.id, dev.token, 'privroute-test');
  t.is(stand.devices.get(dev.id)!.name, 'privroute-test');

  const kp2 = generateKeyPair();
  const rotated = await api.rotateKey(dev.id, dev.token, kp2.publicKey);
  t.is(rotated.key, kp2.publicKey);
  t.is(stand.devices.get(dev.id)!.key, kp2.publicKey);

  await api.deleteDevice(dev.id, dev.token);
  t.false(stand.devices.has(dev.id));
  t.true(stand.deletedIds.includes(dev.id));
  await t.throwsAsync(api.getDevice(dev.id, dev.token), { instanceOf: OperationError, message: /401/ });
  api.close();
});

test.serial('a valid WARP+ license binds; a rejected one is a clear error and the free account keeps working', async (t) => {
  const api = client();
  const store = freshStore();
  const ok = await registerDevice(api, store, { license: 'GOOD1234-GOOD1234-GOOD1234' });
  t.is(ok.licenseError, undefined);
  t.is(ok.account.accountType, 'limited');
  t.is(activeAccount(store)!.license, 'GOOD1234-GOOD1234-GOOD1234');

  const bad = await registerDevice(api, store, { license: 'BAD00000-BAD00000-BAD00000' });
  t.true(bad.licenseError instanceof LicenseRejectedError);
  t.regex(bad.licenseError!.message, /rejected the WARP\+ license: HTTP 400 \(1003: Invalid license\)/);
  t.regex(bad.licenseError!.hint!, /free account keeps working/);
  t.is(bad.account.accountType, 'free');
  t.is(bad.account.license, null);
  // The free device is registered, stored, active, and answers.
  t.true(stand.devices.has(bad.account.deviceId));
  t.is(activeAccount(store)!.deviceId, bad.account.deviceId);
  const dev = await api.getDevice(bad.account.deviceId, bad.account.token);
  t.is(dev.account.account_type, 'free');
  store.close();
  api.close();
});

test.serial('429 twice then success honours Retry-After (delays recorded, not slept)', async (t) => {
  slept = [];
  const api = client();
  stand.injectStatus(429, 2, 7);
  const dev = await api.register(generateKeyPair().publicKey);
  t.truthy(dev.id);
  t.deepEqual(slept, [7000, 7000]);
  api.close();
});

test.serial('5xx is retried with jittered exponential backoff (an idempotent call)', async (t) => {
  slept = [];
  const api = client({ baseDelayMs: 100, random: () => 0.5 });
  const dev = await api.register(generateKeyPair().publicKey);
  stand.injectStatus(503, 2);
  await api.getDevice(dev.id, dev.token);
  // full jitter: random * base * 2^(n-1) => 0.5*100, 0.5*200
  t.deepEqual(slept, [50, 100]);
  api.close();
});

test.serial('retries running out say how many tries and the last status', async (t) => {
  slept = [];
  const api = client({ attempts: 3 });
  stand.injectStatus(429, 3, 1);
  const e = await t.throwsAsync(api.register(generateKeyPair().publicKey), { instanceOf: OperationError });
  t.regex(e!.message, /POST \/reg failed after 3 tries; last status HTTP 429 \(10000: Too many requests\)/);
  t.is(slept.length, 2);
  api.close();
});

test.serial('a Retry-After beyond the limit stops at once instead of sleeping for it', async (t) => {
  slept = [];
  const api = client({ maxRetryAfterMs: 10_000 });
  stand.injectStatus(429, 1, 3600);
  const e = await t.throwsAsync(api.register(generateKeyPair().publicKey), { instanceOf: OperationError });
  t.regex(e!.message, /after 1 try; last status HTTP 429.*Retry-After 3600 s/);
  t.deepEqual(slept, []);
  api.close();
});

test.serial('403 is a clear error, not retried, and leaves no state', async (t) => {
  const api = client();
  const store = freshStore();
  const n = stand.devices.size;
  const before = stand.requests.length;
  stand.injectStatus(403, 1);
  const e = await t.throwsAsync(registerDevice(api, store), { instanceOf: OperationError });
  t.regex(e!.message, /POST \/reg was refused: HTTP 403 \(1020: Access denied\)/);
  t.regex((e as OperationError).hint!, /TLS 1\.2/);
  t.is(stand.requests.length - before, 1);
  t.is(stand.devices.size, n);
  t.deepEqual(listAccounts(store), []);
  store.close();
  api.close();
});

test.serial('malformed JSON is a clear error and leaves no state', async (t) => {
  const api = client();
  const store = freshStore();
  const n = stand.devices.size;
  stand.injectMalformed(1);
  const e = await t.throwsAsync(registerDevice(api, store), { instanceOf: OperationError });
  t.regex(e!.message, /POST \/reg: HTTP 200 response is not valid JSON/);
  t.is(stand.devices.size, n);
  t.deepEqual(listAccounts(store), []);
  store.close();
  api.close();
});

// Issue 11 item 11: POST /reg is not idempotent. A retry after the origin
// processed it registers a second device (a WARP+ licence slot each).
for (const [label, fault] of [['answered 502', 502], ['never answered (timeout)', 'hang']] as const) {
  test.serial(`a POST /reg processed but ${label} is not retried: one device, and the error says why`, async (t) => {
    const api = client({ timeoutMs: 500 });
    const n = stand.devices.size;
    const posts = () => stand.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    stand.injectAfterProcessing(fault, 1, { method: 'POST', path: /^\/reg$/ });
    const e = await t.throwsAsync(api.register(generateKeyPair().publicKey), { instanceOf: OperationError });
    t.is(posts() - before, 1, 'POST /reg sent once');
    t.is(stand.devices.size, n + 1, 'exactly the one device the stand-in processed');
    t.regex(e!.message, /POST \/reg .*not retried/);
    api.close();
  });
}

test.serial('POST /reg refused before it was processed (429) is still retried', async (t) => {
  const api = client();
  const n = stand.devices.size;
  stand.injectStatus(429, 1, 1, { method: 'POST', path: /^\/reg$/ });
  await api.register(generateKeyPair().publicKey);
  t.is(stand.devices.size, n + 1);
  api.close();
});

test.serial('the account row is stored right after POST /reg; a later failure keeps device and row, and the next run finishes the setup', async (t) => {
  const api = client();
  const store = freshStore();
  const n = stand.devices.size;
  const deleted = stand.deletedIds.length;
  stand.injectMalformed(1, { method: 'GET', path: /^\/reg\/[^/]+$/ });
  await t.throwsAsync(registerDevice(api, store, { license: 'GOOD1234-GOOD1234-GOOD1234' }), { instanceOf: OperationError, message: /GET \/reg\/<id>: HTTP 200 response is not valid JSON/ });
  t.is(stand.devices.size, n + 1, 'the device stays registered');
  t.is(stand.deletedIds.length, deleted, 'not deleted: the row knows it');
  const rows = listAccounts(store);
  t.is(rows.length, 1);
  t.true(rows[0]!.active);
  t.true(setupPending(store, rows[0]!.deviceId));
  const regsBefore = stand.requests.filter((r) => r.method === 'POST').length;
  // The next run: the active row is finished, not replaced by a new registration.
  const done = await finishSetup(api, store, rows[0]!, { license: 'GOOD1234-GOOD1234-GOOD1234' });
  t.is(stand.requests.filter((r) => r.method === 'POST').length, regsBefore, 'no second POST /reg');
  t.is(done.account.deviceId, rows[0]!.deviceId);
  t.is(done.account.license, 'GOOD1234-GOOD1234-GOOD1234');
  t.false(setupPending(store, rows[0]!.deviceId));
  t.is(activeAccount(store)!.license, 'GOOD1234-GOOD1234-GOOD1234');
  t.is(stand.devices.get(rows[0]!.deviceId)!.name, 'privroute');
  store.close();
  api.close();
});

test.serial('the stand-in checks the app headers like Cloudflare does (403 / 1020)', async (t) => {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(stand.url + '/reg', { method: 'POST', ca: [standCa()], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ key: generateKeyPair().publicKey }));
  });
  t.is(status, 403);
  t.is(JSON.parse(body).errors[0].code, 1020);
});

function standCa(): Buffer {
  return readFileSync(stand.caFile);
}

test.serial('the stand-in refuses a TLS 1.3-only client', async (t) => {
  const u = new URL(stand.url);
  const err = await new Promise<Error | null>((resolve) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: standCa(), minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', servername: 'localhost' }, () => {
      s.end();
      resolve(null);
    });
    s.on('error', (e) => resolve(e));
  });
  t.truthy(err);
  t.regex(String((err as NodeJS.ErrnoException).code ?? err!.message), /SSL|TLS|PROTOCOL|ECONNRESET/i);
});

test.serial('the client refuses a TLS 1.3-only server (TLS 1.2 enforced)', async (t) => {
  const s13 = await startWarpApiStandin({
    dir: path.join(tmp, 'ca13'),
    peerPublicKey: edgeKey,
    endpoint: { host: 'x:2408' },
    tls: { min: 'TLSv1.3', max: 'TLSv1.3' },
  });
  try {
    const api = new WarpApi({ baseUrl: s13.url, caFile: s13.caFile, sleep: async () => {} });
    const e = await t.throwsAsync(api.register(generateKeyPair().publicKey), { instanceOf: OperationError });
    t.regex(e!.message, /TLS 1\.2 handshake with .* failed/);
    t.is(s13.devices.size, 0);
    api.close();
  } finally {
    await s13.stop();
  }
});

test.serial('tokens and private keys never reach the log', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(c, _e, cb) {
      lines.push(String(c));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  const api = client({ logger });
  const store = freshStore();
  stand.injectStatus(429, 1, 1); // make the transport log a retry too
  const { account } = await registerDevice(api, store, { logger, license: 'BAD-BAD-BAD' });
  // Someone logging the whole record by mistake must still not leak.
  logger.info({ account: { token: account.token, privateKey: account.privateKey, deviceId: account.deviceId } }, 'record');
  logger.info({ token: account.token, privateKey: account.privateKey }, 'top-level');
  await new Promise((r) => setImmediate(r));
  const out = lines.join('');
  t.true(out.includes('"msg":"record"'), 'the capture works: the record line is logged'); // (the device id, UUID-shaped, is redacted too)
  t.true(out.includes('<redacted>'));
  t.false(out.includes(account.token));
  t.false(out.includes(account.privateKey));
  store.close();
  api.close();
});

test.serial('the stand-in runs as a process (tiny main) and serves the API over TLS 1.2', async (t) => {
  const { spawn } = await import('node:child_process');
  const dir = path.join(tmp, 'proc-ca');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/lab/standins/warp-api.ts', '--listen', '127.0.0.1:0', '--peer-pubkey', edgeKey, '--endpoint', 'engage.cloudflareclient.com:2408', '--endpoint-v4', '10.9.9.9', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      child.on('exit', (c) => reject(new Error(`stand-in exited ${c}`)));
    });
    const { url, caFile } = JSON.parse(line) as { url: string; caFile: string };
    const api = new WarpApi({ baseUrl: url, caFile, sleep: async () => {} });
    const dev = await api.register(generateKeyPair().publicKey);
    t.is(dev.config.peers[0]!.endpoint.v4, '10.9.9.9:0');
    t.is(dev.config.peers[0]!.public_key, edgeKey);
    api.close();
  } finally {
    child.kill('SIGTERM');
  }
});
