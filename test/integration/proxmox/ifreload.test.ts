/**
 * What an `ifreload -a` on a Proxmox node does to the chain bridge (modelled on a REAL private
 * OVS by the stand-in in _ifreload.ts), what `status`'s OVS hop (judgeOvs) says afterwards,
 * and that `init`'s components (ovs, ovs-marks) repair it:
 * - with privroute's stanza (ports condoned): the ports stay, their marks are cleared ->
 *   status: ovs.marks not ok; init restores the marks;
 * - with a bare stanza (no condone regex): the ports are deleted -> status: ovs.ports not ok;
 *   init re-creates them.
 */
import test from 'ava';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns, startOvs, type OvsInstance } from '../../../src/lab/harness/index.js';
import { validateConfig } from '../../../src/config/validate.js';
import { StateStore } from '../../../src/state/store.js';
import { applianceContext, type ApplianceContext } from '../../../src/appliance/index.js';
import { ovsComponent } from '../../../src/appliance/ovs.js';
import { ovsMarksComponent } from '../../../src/proxmox/ovs-marks.js';
import { renderStanza } from '../../../src/proxmox/ifupdown.js';
import { judgeOvs } from '../../../src/health/ovs.js';
import { runComponents, converged, type AnyComponent } from '../../../src/core/runner.js';
import { OvsdbClient } from '../../../src/ovs/ovsdb/rpc.js';
import { observeSwitch } from '../../../src/ovs/ovsdb/state.js';
import { seed } from '../../unit/config/_seed.js';
import { modelIfreload } from './_ifreload.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('ovsdb-server', 'ovs-vswitchd'));
const t0 = skip ? test.skip : test.serial;
let scope: Scope | undefined;
let ovs: OvsInstance;
let ctx: ApplianceContext;
let comps: AnyComponent[];

const status = async () => {
  const c = await OvsdbClient.connect(ovs.dbEndpoint);
  try {
    return Object.fromEntries(judgeOvs(ctx, await observeSwitch(c)).checks.map((x) => [x.name, x]));
  } finally {
    await c.close();
  }
};
const init = async () => {
  const reports = await runComponents(comps);
  return { ok: converged(reports), changes: reports.flatMap((r) => r.changes) };
};

test.before(async () => {
  if (skip) return;
  scope = new Scope(uniquePrefix('pir'));
  await createNetns(scope, 'node');
  ovs = await startOvs(scope, { ns: `${scope.prefix}-node` });
  const d = seed();
  d.plugins.privacy_router.ovs = { db: ovs.dbEndpoint, rundir: ovs.rundir, datapath_type: 'netdev' };
  d.plugins.privacy_router.runtime = { kind: 'netns', netns_prefix: `${scope.prefix}-ct` };
  const config = validateConfig(d);
  const store = StateStore.open(path.join(scope.dir, 'state'), { create: true });
  scope.defer('store', () => store.close());
  ctx = applianceContext(config, store);
  const r = config.plugins.privacy_router;
  comps = [ovsComponent(ctx), ovsMarksComponent(r.ovs.db, r.bridge_name, ctx.topology.ports.map((p) => p.name), r.wireguard.access_port) as AnyComponent];
});
test.after.always(async () => {
  await scope?.close();
});

t0('with privroute\'s stanza ifreload keeps the ports but clears the marks: status says so, init restores them', async (t) => {
  const first = await init();
  t.true(first.ok);
  t.true(first.changes.some((c) => /^add bridge /.test(c)));
  t.true(Object.values(await status()).every((c) => c.ok), JSON.stringify(await status()));
  const ports = (await ovs.vsctl(['list-ports', 'ovsbr0'])).trim();
  const r = ctx.config.plugins.privacy_router;
  const stanza = renderStanza({ bridge: 'ovsbr0', ports: ctx.topology.ports.map((p) => p.name), accessPort: null, failMode: 'secure', datapath: 'netdev' });

  t.deepEqual(await modelIfreload(ovs, stanza, r.bridge_name), [], 'no port deleted');
  t.is((await ovs.vsctl(['list-ports', 'ovsbr0'])).trim(), ports);
  t.is((await ovs.vsctl(['get', 'Bridge', 'ovsbr0', 'external_ids'])).trim(), '{}');
  const after = await status();
  t.true(after['ovs.ports']!.ok);
  t.false(after['ovs.marks']!.ok);
  t.regex(after['ovs.marks']!.detail, /mark is missing on internal_100, internal_101, .*ovsbr0, warp0 \(external_ids cleared/);

  const repair = await init();
  t.true(repair.ok);
  t.true(repair.changes.length > 0 && repair.changes.every((c) => /^restore privroute's mark on /.test(c)), repair.changes.join('; '));
  t.is((await ovs.vsctl(['get', 'Port', 'internal_100', 'external_ids'])).trim(), '{privroute-owner=privroute}');
  t.is((await ovs.vsctl(['get', 'Bridge', 'ovsbr0', 'external_ids'])).trim(), '{privroute-owner=privroute}');
  t.true(Object.values(await status()).every((c) => c.ok));
  t.deepEqual((await init()).changes, [], 'a second init changes nothing');
});

t0('with a bare stanza (no condone regex) ifreload deletes the ports: status says so, init re-creates them', async (t) => {
  const bare = 'auto ovsbr0\niface ovsbr0 inet manual\n\tovs_type OVSBridge\n';
  const gone = await modelIfreload(ovs, bare, 'ovsbr0');
  t.deepEqual(gone.sort(), ctx.topology.ports.map((p) => p.name).sort());
  const after = await status();
  t.false(after['ovs.ports']!.ok);
  t.regex(after['ovs.ports']!.detail, /port\(s\) missing: .*internal_100/);
  const repair = await init();
  t.true(repair.ok);
  t.true(repair.changes.some((c) => /^add port internal_100/.test(c)), repair.changes.join('; '));
  t.true(Object.values(await status()).every((c) => c.ok), JSON.stringify(await status()));
});
