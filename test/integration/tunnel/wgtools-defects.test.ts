/**
 * Measures wireguard-tools.js 1.8.1's device control against wireguard-go: its
 * setConfig/getConfig only speak kernel netlink, so they fail on a userspace
 * device even though its own listDevices() finds the UAPI socket. The test
 * asserts the defect EXISTS (if it starts passing, the library was fixed).
 * The library runs in a child process inside the test's namespace, so a kernel
 * with WireGuard could never get an interface created in the root namespace.
 */
import test from 'ava';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../../src/host/local.js';
import { createNetns, Scope, startProcess, uniquePrefix, waitFor } from '../../../src/lab/harness/index.js';
import { uapiSocketPath, UserspaceBackend } from '../../../src/tunnel/device/uapi-backend.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('wireguard-go'), hasTun() ? null : 'needs /dev/net/tun');
const REPO = path.resolve(new URL('../../..', import.meta.url).pathname);
const p = uniquePrefix('pr');
const scope = new Scope(p);
const NS = `${p}d`;
const WG = `${p}d`;

test.after.always(() => scope.close());

(skip ? test.skip : test)('DEFECT wgtools setConfig/getConfig fail against a live wireguard-go (which our UAPI backend reads)', async (t) => {
  await createNetns(scope, NS);
  scope.defer('uapi socket', () => rmSync(uapiSocketPath(WG), { force: true }));
  await startProcess(scope, { name: 'wg', argv: ['wireguard-go', '-f', WG], ns: NS });
  const ours = UserspaceBackend.forInterface(WG);
  await waitFor('socket', async () => ours.get().then(() => true, () => false));
  const script = `
    const wg = (await import(${JSON.stringify(path.join(REPO, 'node_modules/wireguard-tools.js/index.mjs'))})).default;
    const out = {};
    out.listed = (await wg.listDevices()).some((d) => d.name === ${JSON.stringify(WG)});
    const k = await wg.key.genKey();
    try { await wg.setConfig(${JSON.stringify(WG)}, { privateKey: k.privateKey, portListen: 51888, peers: {} }); out.set = 'ok'; } catch (e) { out.set = String(e?.message ?? e); }
    try { await wg.getConfig(${JSON.stringify(WG)}); out.get = 'ok'; } catch (e) { out.get = String(e?.message ?? e); }
    console.log(JSON.stringify(out));`;
  const r = await spawnArgv('local', ['ip', 'netns', 'exec', NS, 'node', '--input-type=module', '-e', script]);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { listed: boolean; set: string; get: string };
  t.log(out);
  t.true(out.listed, 'its listDevices sees the userspace socket');
  t.not(out.set, 'ok', 'setConfig fails on wireguard-go');
  t.not(out.get, 'ok', 'getConfig fails on wireguard-go');
  // Control: the device is fine, and unchanged (setConfig did nothing to it).
  const d = await ours.get();
  t.not(d.listenPort, 51888);
});
