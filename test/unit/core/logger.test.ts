/**
 * The logger must never print a secret, whether it is logged as a field, nested
 * in an object, embedded in a message, or inside an error.
 */
import test from 'ava';
import { componentLogger, createLogger, redactText } from '../../../src/core/logger.js';
import { MemoryStream } from './_mem.js';

// Realistic secret shapes (generated for this test, used nowhere else).
const PRIVATE_KEY = 'oKk4nXOzqk+1eB5VtjbHI9CkW1o3xUz9g1pqmDw/kXA=';
const PSK = 'Y3Q2b2p1cW1oV1l3Zk9kTjRBZmx2S3dWbm5xVkU4Ukk=';
const RAW_URL_KEY = 'kZ2kWfQn3-ZyB8xR4vN_9cM1sT6uP0oLhJgF5dE7aYw';
const TOKEN = 'b1f3e6a0-9f2c-4c8e-8d3a-5e6f7a8b9c0d';
const UUID = '5783b01c-1b8a-4d6e-9f44-2a1c3e5b7d90';
const LICENSE = 'x9Y8z7W6-a5B4c3D2-e1F0g9H8';
const ALL = [PRIVATE_KEY, PSK, RAW_URL_KEY, TOKEN, UUID, LICENSE];

async function logged(fn: (log: ReturnType<typeof createLogger>) => void): Promise<string> {
  const out = new MemoryStream();
  const log = createLogger({ level: 'trace', destination: out });
  fn(log);
  log.flush?.();
  await new Promise((r) => setImmediate(r));
  return out.text;
}

function assertClean(t: import('ava').ExecutionContext, text: string): void {
  t.not(text, '', 'something was logged');
  for (const s of ALL) t.false(text.includes(s), `secret leaked: ${s}\n${text}`);
}

test('secret fields are redacted at any depth', async (t) => {
  const text = await logged((log) => {
    log.info({ privateKey: PRIVATE_KEY, presharedKey: PSK, token: TOKEN, license: LICENSE, uuid: UUID }, 'top level');
    log.info({ peer: { private_key: PRIVATE_KEY, preshared_key: PSK } }, 'one deep');
    log.info({ warp: { account: { license: LICENSE, access_token: TOKEN } } }, 'two deep');
    log.info({ a: { b: { c: { psk: PSK, id_uuid: UUID } } } }, 'three deep');
  });
  assertClean(t, text);
  t.regex(text, /<redacted>/);
  t.regex(text, /"msg":"three deep"/);
});

test('secrets embedded in messages are scrubbed by shape', async (t) => {
  const text = await logged((log) => {
    log.warn(`wg set failed for key ${PRIVATE_KEY} psk ${PSK}`);
    log.warn(`xray client id ${UUID}, reality key ${RAW_URL_KEY}`);
    log.info({ component: 'warp' }, `device token ${TOKEN}`);
    log.info(`bound WARP+ license ${LICENSE}`);
  });
  assertClean(t, text);
  t.regex(text, /<redacted-key>/);
  t.regex(text, /<redacted-uuid>/);
  t.regex(text, /<redacted-license>/);
});

test('errors are serialized without secrets in message or stack', async (t) => {
  const text = await logged((log) => {
    log.error({ err: new Error(`command failed: wg pubkey <<< ${PRIVATE_KEY} (id ${UUID})`) }, 'failed');
  });
  assertClean(t, text);
  t.regex(text, /command failed/);
});

test('child loggers per component inherit redaction and carry the component', async (t) => {
  const out = new MemoryStream();
  const root = createLogger({ level: 'info', destination: out });
  const log = componentLogger('tunnel', root);
  log.info({ client: { name: 'alice', privateKey: PRIVATE_KEY } }, `added alice with psk ${PSK}`);
  await new Promise((r) => setImmediate(r));
  assertClean(t, out.text);
  const line = JSON.parse(out.text.trim());
  t.is(line.component, 'tunnel');
  t.is(line.client.name, 'alice', 'non-secret fields are kept');
});

test('redactText keeps ordinary text intact', (t) => {
  const s = 'ovs: bridge ovsbr0 created in 120ms; port internal_100 up';
  t.is(redactText(s), s);
  t.is(redactText(`k=${PRIVATE_KEY}`), 'k=<redacted-key>');
});
