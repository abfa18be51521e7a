/**
 * The WARP runner component (init/plan): plan is read-only (no device is
 * registered), apply registers and converges, a second run has nothing to do.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runComponents } from '../../../src/core/runner.js';
import { StateStore } from '../../../src/state/store.js';
import { InputError } from '../../../src/core/errors.js';
import { activeAccount } from '../../../src/warp/account-store.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { readLicense, type WarpContext } from '../../../src/warp/service.js';
import { warpComponent } from '../../../src/warp/component.js';
import { startWarpApiStandin, type WarpApiStandin } from '../../../src/lab/standins/warp-api.js';
import { configWith } from './_helpers.js';
import { fakeNode } from './_fake-node.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prwarpc-'));
let stand: WarpApiStandin;
test.before(async () => {
  stand = await startWarpApiStandin({ dir: path.join(tmp, 'ca'), peerPublicKey: generateKeyPair().publicKey, endpoint: { host: 'e:2408', v4: '10.1.1.1:0' }, validLicenses: ['AAAAAAAA-BBBBBBBB-CCCCCCCC'] });
});
test.after.always(async () => {
  await stand?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function ctxFor(n: ReturnType<typeof fakeNode>, warp: Record<string, unknown> = {}): WarpContext {
  const config = configWith({ api_base: stand.url, api_ca_file: stand.caFile, ...warp });
  return { config, store: StateStore.open(mkdtempSync(path.join(tmp, 's-')), { create: true }), topology: applianceTopology(config, null), exec: n.exec, wg: n.wg };
}

test.serial('plan registers nothing; init registers with the license and converges; a second init changes nothing', async (t) => {
  const lic = path.join(tmp, 'license');
  writeFileSync(lic, 'AAAAAAAA-BBBBBBBB-CCCCCCCC\n', { mode: 0o600 });
  const n = fakeNode();
  const ctx = ctxFor(n, { license_file: lic });
  const before = stand.devices.size;
  const planned = await runComponents([warpComponent(ctx, [])], { planOnly: true });
  t.is(stand.devices.size, before, 'plan did not register');
  t.is(activeAccount(ctx.store), undefined);
  t.is(planned[0]!.status, 'planned');
  t.regex(planned[0]!.changes.join('\n'), /register a WARP device/);

  const first = await runComponents([warpComponent(ctx, [])]);
  t.is(first[0]!.status, 'changed', first[0]!.detail);
  const acct = activeAccount(ctx.store)!;
  t.truthy(acct);
  t.is(acct.accountType, 'limited');
  t.true(n.state.links.get('wgwarp')!.up);
  const again = await runComponents([warpComponent(ctx, [])]);
  t.is(again[0]!.status, 'unchanged', again[0]!.changes.join('\n'));
  ctx.store.close();
});

test.serial('a license file that is not a WARP+ key is an InputError naming the key path', async (t) => {
  const bad = path.join(tmp, 'bad-license');
  writeFileSync(bad, 'hello world\n');
  const cfg = configWith({ license_file: bad });
  const e = await t.throwsAsync(readLicense(cfg), { instanceOf: InputError });
  t.regex(e!.message, /plugins\.privacy_router\.warp\.license_file/);
  const missing = configWith({ license_file: path.join(tmp, 'nope') });
  await t.throwsAsync(readLicense(missing), { instanceOf: InputError, message: /ENOENT/ });
});

test.serial('warp.wgcf_config: the imported profile is used instead of registering', async (t) => {
  const { renderWgcfProfile } = await import('../../../src/warp/profile.js');
  const { device } = await import('./_helpers.js');
  const kp = generateKeyPair();
  const prof = path.join(tmp, 'wgcf-profile.conf');
  writeFileSync(prof, renderWgcfProfile(kp.privateKey, device({ v4: '172.16.0.77', endpoint: { host: '192.0.2.1:2408' } })), { mode: 0o600 });
  const n = fakeNode();
  const ctx = ctxFor(n, { wgcf_config: prof });
  const before = stand.devices.size;
  const r = await runComponents([warpComponent(ctx, [])]);
  t.is(r[0]!.status, 'changed', r[0]!.detail);
  t.is(stand.devices.size, before, 'nothing registered');
  t.is(activeAccount(ctx.store), undefined);
  t.deepEqual(n.state.links.get('wgwarp')!.addrs, ['172.16.0.77/32', 'fd01:5741::2/128']);
  t.is(n.wg.dev!.peers[0]!.endpoint, '192.0.2.1:2408');
  const { publicKeyOf } = await import('../../../src/warp/keys.js');
  t.is(publicKeyOf(n.wg.dev!.privateKey!), kp.publicKey);
  ctx.store.close();
});

test.serial('status: identity from the store, reserved bytes reported as not applied, both health checks', async (t) => {
  const { warpStatusFromConfig } = await import('../../../src/warp/service.js');
  const n = fakeNode();
  const ctx = ctxFor(n);
  const curl = ['curl', '-sS', '--max-time', '5', '--interface', 'wgwarp', 'http://t/cdn-cgi/trace'];
  // No device and no tunnel yet: nothing is registered by status, both checks fail.
  n.exec.on(curl, () => ({ code: 45, stderr: 'curl: (45) bind failed' }), { times: 1 });
  const none = await warpStatusFromConfig(ctx, 'http://t/cdn-cgi/trace');
  t.is(none.source, 'none');
  t.false(none.ok);
  t.regex(none.handshake.detail, /tunnel is down/);
  t.is(activeAccount(ctx.store), undefined);
  await runComponents([warpComponent(ctx, [])]);
  n.exec.on(curl, () => 'ip=198.18.1.2\nwarp=on\n', { times: 'any' });
  n.wg.dev!.peers[0]!.lastHandshake = new Date(Date.now() - 5000);
  const st = await warpStatusFromConfig(ctx, 'http://t/cdn-cgi/trace');
  t.is(st.source, 'api');
  t.is(st.deviceId, activeAccount(ctx.store)!.deviceId);
  t.false(st.reserved!.applied);
  t.regex(st.reserved!.detail, /unsupported/);
  t.true(st.handshake.ok, st.handshake.detail);
  t.true(st.trace.ok);
  t.true(st.ok);
  t.false(JSON.stringify(st).includes(activeAccount(ctx.store)!.privateKey));
  ctx.store.close();
});

test.serial('init after a run that died past POST /reg finishes that device: no second registration (issue 11 item 11)', async (t) => {
  const { registerDevice, setupPending } = await import('../../../src/warp/account.js');
  const { WarpApi } = await import('../../../src/warp/api.js');
  const n = fakeNode();
  const ctx = ctxFor(n);
  const api = new WarpApi({ baseUrl: stand.url, caFile: stand.caFile, baseDelayMs: 1 });
  stand.injectMalformed(1, { method: 'GET', path: /^\/reg\/[^/]+$/ });
  await t.throwsAsync(registerDevice(api, ctx.store));
  api.close();
  const pending = activeAccount(ctx.store)!;
  t.true(setupPending(ctx.store, pending.deviceId));
  const posts = () => stand.requests.filter((r) => r.method === 'POST').length;
  const before = posts();
  const r = await runComponents([warpComponent(ctx, [])]);
  t.is(r[0]!.status, 'changed', r[0]!.detail);
  t.is(posts(), before, 'no second POST /reg');
  t.is(activeAccount(ctx.store)!.deviceId, pending.deviceId);
  t.false(setupPending(ctx.store, pending.deviceId));
  ctx.store.close();
});
