/**
 * Issue 11 item 3: two first `init`s at once register one WARP device, not two
 * (each orphan takes a device slot, a WARP+ licence seat). Two processes start
 * their first registration at the same instant against the WARP API stand-in
 * (HTTPS on loopback), which counts the devices it registered. Each takes the
 * state lock through the CLI context exactly as `init` does; the second waits,
 * then finds the first one's account. The same race without the lock is run as a
 * witness that the window is real (it registers two).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWarpApiStandin, type WarpApiStandin } from '../../../src/lab/standins/warp-api.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { seed } from '../config/_seed.js';

const CHILD = fileURLToPath(new URL('./_first-registration.ts', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'prfirstreg-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** Two children racing the first registration on one fresh state dir; resolves with their outputs. */
async function race(stand: WarpApiStandin, mode: 'lock' | 'nolock'): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmp, `${mode}-`));
  const doc = seed();
  doc.plugins.privacy_router.warp = { ...doc.plugins.privacy_router.warp, api_base: stand.url, api_ca_file: stand.caFile };
  const cfg = path.join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify(doc));
  const stateDir = path.join(dir, 'state');
  const kids = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', CHILD, cfg, stateDir, mode], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outs = kids.map((k) => {
    let out = '';
    k.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    k.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    return { ready: new Promise<void>((r) => k.stdout!.on('data', () => out.includes('ready') && r())), exit: new Promise<number | null>((r) => k.on('exit', r)), text: () => out };
  });
  await Promise.all(outs.map((o) => o.ready));
  for (const k of kids) k.stdin!.end('go\n');
  const codes = await Promise.all(outs.map((o) => o.exit));
  if (codes.some((c) => c !== 0)) throw new Error(`a child failed: ${outs.map((o) => o.text()).join('\n---\n')}`);
  return outs.map((o) => o.text());
}

async function standin(name: string): Promise<WarpApiStandin> {
  return startWarpApiStandin({ dir: path.join(tmp, name), peerPublicKey: generateKeyPair().publicKey, endpoint: { host: 'engage.cloudflareclient.com:2408', v4: '10.99.0.1:0' } });
}

test('two first inits under the state lock: one WARP device registered, both use it', async (t) => {
  const stand = await standin('ca-lock');
  t.teardown(() => stand.stop());
  const outs = await race(stand, 'lock');
  t.is(stand.devices.size, 1, 'one device at the API');
  const ids = outs.map((o) => /device (\S+) registered=(true|false)/.exec(o)!);
  t.is(ids[0]![1], ids[1]![1], 'both runs ended with the same device');
  t.deepEqual(ids.map((m) => m[2]).sort(), ['false', 'true'], 'one registered, the other found it');
});

test('witness: the same race without the lock registers two devices (the window is real)', async (t) => {
  const stand = await standin('ca-nolock');
  t.teardown(() => stand.stop());
  await race(stand, 'nolock');
  t.is(stand.devices.size, 2);
});
