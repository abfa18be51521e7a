/**
 * Rotation against the API stand-in, with the tunnel swap recorded by a fake.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WarpApi } from '../../../src/warp/api.js';
import { registerDevice } from '../../../src/warp/account.js';
import { activeAccount, listAccounts } from '../../../src/warp/account-store.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { rotateWarp } from '../../../src/warp/rotate.js';
import { OperationError } from '../../../src/core/errors.js';
import { StateStore } from '../../../src/state/store.js';
import type { WarpAccountRecord } from '../../../src/warp/types.js';
import { startWarpApiStandin, type WarpApiStandin } from '../../../src/lab/standins/warp-api.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prwarprot-'));
let stand: WarpApiStandin;
const LIC = 'PLUS0000-PLUS0000-PLUS0000';

test.before(async () => {
  stand = await startWarpApiStandin({ dir: path.join(tmp, 'ca'), peerPublicKey: generateKeyPair().publicKey, endpoint: { host: 'e:2408', v4: '10.1.1.1:0' }, validLicenses: [LIC] });
});
test.after.always(async () => {
  await stand?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const api = (): WarpApi => new WarpApi({ baseUrl: stand.url, caFile: stand.caFile, baseDelayMs: 1, sleep: async () => {} });
const store = (): StateStore => StateStore.open(mkdtempSync(path.join(tmp, 's-')), { create: true });
const rotations = (s: StateStore) => s.db.prepare('SELECT kind, outcome, finished_at FROM rotations ORDER BY id').all() as { kind: string; outcome: string; finished_at: string | null }[];

test.serial('rotation: new device + key, license re-applied, swapped, marked active, old deleted, row recorded', async (t) => {
  const a = api();
  const s = store();
  const first = (await registerDevice(a, s, { license: LIC })).account;
  const swapped: WarpAccountRecord[] = [];
  const r = await rotateWarp({ api: a, store: s, swap: async (acc) => void swapped.push(acc) });
  t.not(r.newDeviceId, first.deviceId);
  t.is(r.oldDeviceId, first.deviceId);
  t.true(r.oldDeleted);
  t.is(r.accountType, 'limited', 'the stored license was re-applied');
  t.is(swapped.length, 1);
  t.is(swapped[0]!.deviceId, r.newDeviceId);
  t.not(swapped[0]!.privateKey, first.privateKey);
  t.is(activeAccount(s)!.deviceId, r.newDeviceId);
  t.deepEqual(listAccounts(s).map((x) => x.deviceId), [r.newDeviceId]);
  t.true(stand.deletedIds.includes(first.deviceId));
  t.is(stand.devices.get(r.newDeviceId)!.boundLicense, LIC);
  t.deepEqual(rotations(s).map((x) => [x.kind, x.outcome]), [['warp', 'ok']]);
  s.close();
  a.close();
});

test.serial('a rejected license aborts the rotation of a WARP+ device: old one untouched, new one deleted', async (t) => {
  const a = api();
  const s = store();
  const first = (await registerDevice(a, s, { license: LIC })).account;
  const n = stand.devices.size;
  let swaps = 0;
  const e = await t.throwsAsync(rotateWarp({ api: a, store: s, license: 'WRONG000-WRONG000-WRONG000', swap: async () => void swaps++ }), { instanceOf: OperationError });
  t.regex(e!.message, /rotation aborted: .*rejected the WARP\+ license.*the current WARP\+ device .* keeps working/);
  t.is(swaps, 0);
  t.is(activeAccount(s)!.deviceId, first.deviceId);
  t.is(stand.devices.size, n, 'the new device was deleted again');
  t.deepEqual(listAccounts(s).map((x) => x.deviceId), [first.deviceId]);
  t.is(rotations(s)[0]!.outcome, 'failed');
  s.close();
  a.close();
});

test.serial('a rejected license on a free account: rotation goes on, warns, the free account works', async (t) => {
  const a = api();
  const s = store();
  await registerDevice(a, s);
  const r = await rotateWarp({ api: a, store: s, license: 'WRONG000-WRONG000-WRONG000', swap: async () => {} });
  t.regex(r.licenseWarning!, /Invalid license.*free account/);
  t.is(r.accountType, 'free');
  t.true(stand.devices.has(r.newDeviceId));
  t.is(rotations(s)[0]!.outcome, 'ok-with-warnings');
  s.close();
  a.close();
});

test.serial('a failed swap puts the old device back and deletes the new one', async (t) => {
  const a = api();
  const s = store();
  const first = (await registerDevice(a, s)).account;
  const swapped: string[] = [];
  const e = await t.throwsAsync(
    rotateWarp({
      api: a,
      store: s,
      swap: async (acc) => {
        swapped.push(acc.deviceId);
        if (acc.deviceId !== first.deviceId) throw new Error('uapi set failed');
      },
    }),
    { instanceOf: OperationError },
  );
  t.regex(e!.message, /tunnel could not be moved to the new device: uapi set failed/);
  t.is(swapped.length, 2);
  t.is(swapped[1], first.deviceId);
  t.is(activeAccount(s)!.deviceId, first.deviceId);
  t.false(stand.devices.has(swapped[0]!));
  s.close();
  a.close();
});

test.serial('429 on registration during rotation: retried, then the rotation completes', async (t) => {
  const a = api();
  const s = store();
  await registerDevice(a, s);
  stand.injectStatus(429, 2, 1, { method: 'POST' });
  const r = await rotateWarp({ api: a, store: s, swap: async () => {} });
  t.true(r.oldDeleted);
  s.close();
  a.close();
});

test.serial('a failed delete of the old device is a warning, and the next rotation cleans it up', async (t) => {
  const a = api();
  const s = store();
  const first = (await registerDevice(a, s)).account;
  stand.injectStatus(500, 5, undefined, { method: 'DELETE' });
  const r1 = await rotateWarp({ api: a, store: s, swap: async () => {} });
  t.false(r1.oldDeleted);
  t.regex(r1.deleteWarning!, /could not be deleted.*after 5 tries; last status HTTP 500/);
  t.true(listAccounts(s).some((x) => x.deviceId === first.deviceId && !x.active));
  const r2 = await rotateWarp({ api: a, store: s, swap: async () => {} });
  t.deepEqual(r2.cleanedUp, [first.deviceId]);
  t.deepEqual(listAccounts(s).map((x) => x.deviceId), [r2.newDeviceId]);
  s.close();
  a.close();
});

test.serial('a concurrent rotation is refused', async (t) => {
  const a = api();
  const s = store();
  await registerDevice(a, s);
  s.db.prepare("INSERT INTO rotations(kind, started_at) VALUES('warp', ?)").run(new Date().toISOString());
  await t.throwsAsync(rotateWarp({ api: a, store: s, swap: async () => {} }), { instanceOf: OperationError, message: /another WARP rotation/ });
  s.close();
  a.close();
});
