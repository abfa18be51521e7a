/**
 * OpenFlow client against a real ovs-vswitchd (userspace datapath, private run dir,
 * in a namespace), over the bridge's management socket. Witness: ovs-ofctl.
 * Proves, on both OF1.3 (ONF bundle extension) and OF1.4 (native bundles):
 * flows installed in one bundle read back identically (dumpFlows and ovs-ofctl);
 * a bundle with one bad flow is rejected whole with a decoded error naming the flow;
 * meters visible in ovs-ofctl dump-meters; cookie-masked delete leaves foreign flows;
 * and that OVS refuses METER_MOD inside a bundle (why meters are applied outside it).
 */
import test from 'ava';
import { createNetns, Scope, startOvs, uniquePrefix, type OvsInstance } from '../../../src/lab/harness/index.js';
import { OpenFlowClient } from '../../../src/ovs/openflow/client.js';
import { OfConnection } from '../../../src/ovs/openflow/conn.js';
import { OpenFlowError } from '../../../src/ovs/openflow/errors.js';
import { Writer } from '../../../src/ovs/openflow/buf.js';
import { BUNDLE } from '../../../src/ovs/openflow/consts.js';
import { encodeBundleAdd, encodeBundleControl } from '../../../src/ovs/openflow/messages.js';
import { encodeMeterMod } from '../../../src/ovs/openflow/meter.js';
import type { Flow } from '../../../src/ovs/flow.js';
import { FLOW_CASES } from '../../fixtures/openflow/cases.js';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('ovsdb-server', 'ovs-vswitchd', 'ovs-ofctl'));
const serial = skip ? test.serial.skip : test.serial;

let scope: Scope;
let ovs: OvsInstance;
const BR = 'prof0';
const PREFIX = 0x7072000000000000n;
const PMASK = 0xffff000000000000n;
const endpoint = (): string => `unix:${ovs.mgmtSocket(BR)}`;
const ofctl = async (...a: string[]): Promise<string> => ovs.ofctl(['-O', 'OpenFlow13', ...a]);
const flowLines = async (): Promise<string[]> => (await ofctl('dump-flows', BR, '--no-stats')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('OFPST'));
const key = (f: Flow): string => `${f.table}/${f.priority}/${f.cookie}`;
const canon = (fs: Flow[]): unknown => JSON.parse(JSON.stringify([...fs].sort((a, b) => key(a).localeCompare(key(b))), (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));

test.before(async () => {
  if (skip) return;
  scope = new Scope(uniquePrefix('prq'));
  const ns = `${scope.prefix}n`;
  await createNetns(scope, ns);
  ovs = await startOvs(scope, { ns });
  await ovs.addBridge(BR);
  for (let i = 1; i <= 3; i++) await ovs.vsctl(['add-port', BR, `${scope.prefix}p${i}`, '--', 'set', 'Interface', `${scope.prefix}p${i}`, 'type=internal', `ofport_request=${i}`]);
});
test.after.always(async () => {
  await scope?.close();
});

for (const version of [4, 5]) {
  const v = version === 4 ? 'OF1.3 (ONF bundle)' : 'OF1.4 (native bundle)';
  serial(`${v}: a bundle of every fixture flow + meters reads back identically via dumpFlows and ovs-ofctl`, async (t) => {
    const c = await OpenFlowClient.connect(endpoint(), { versions: [version] });
    t.teardown(() => c.close());
    t.is(c.version, version);
    const flows = FLOW_CASES.map((f) => f.flow);
    await c.applyBundle([{ command: 'delete', cookie: PREFIX, cookieMask: PMASK }, ...flows.map((flow) => ({ command: 'add' as const, flow }))], [
      { command: 'add', meter: { id: 1, unit: 'pktps', rate: 5, burst: 10 } },
      { command: 'add', meter: { id: 2, unit: 'kbps', rate: 10000 } },
    ]);
    const lines = await flowLines();
    t.is(lines.length, flows.length, lines.join('\n'));
    t.true(lines.some((l) => l.includes('ct(commit,table=21,zone=7,nat(src=192.0.2.1)),output:9')));
    t.true(lines.some((l) => l.includes('reg3=0x5/0xff') && l.includes('resubmit(4,32)')));
    t.true(lines.some((l) => l.includes('tcp_flags=fin|psh|urg')));
    t.deepEqual(canon(await c.dumpFlows({ cookie: PREFIX, cookieMask: PMASK })), canon(flows));
    t.deepEqual(await c.dumpFlows({ table: 30 }).then((f) => f.map(key)), [key(FLOW_CASES.find((x) => x.name === 'udp-regs-meta')!.flow)]);
    const meters = await ofctl('dump-meters', BR);
    t.regex(meters, /meter=1 pktps burst stats bands=\s*type=drop rate=5 burst_size=10/);
    t.regex(meters, /meter=2 kbps stats bands=\s*type=drop rate=10000/);
    t.deepEqual(await c.dumpMeters(), [{ id: 1, unit: 'pktps', rate: 5, burst: 10 }, { id: 2, unit: 'kbps', rate: 10000 }]);
    // Clean up for the next version's run: meters deleted after the (empty) flow bundle.
    await c.applyBundle([{ command: 'delete', cookie: PREFIX, cookieMask: PMASK }], [{ command: 'delete', meter: { id: 1, unit: 'pktps', rate: 1 } }, { command: 'delete', meter: { id: 2, unit: 'pktps', rate: 1 } }]);
    t.deepEqual(await flowLines(), []);
    t.deepEqual(await c.dumpMeters(), []);
  });

  serial(`${v}: a bundle with one bad flow is rejected whole, with the error and the flow named`, async (t) => {
    const c = await OpenFlowClient.connect(endpoint(), { versions: [version] });
    t.teardown(() => c.close());
    await ofctl('add-flow', BR, 'table=0,priority=1,cookie=0x1,actions=drop');
    const before = await flowLines();
    const good: Flow = { table: 7, priority: 10, cookie: PREFIX | 1n, match: { in_port: 1 }, actions: [{ type: 'output', port: 2 }] };
    const bad: Flow = { table: 5, priority: 10, cookie: PREFIX | 2n, match: {}, actions: [], gotoTable: 2 }; // goto a lower table: OVS refuses
    const e = await t.throwsAsync(c.applyBundle([{ command: 'add', flow: good }, { command: 'add', flow: bad }, { command: 'delete', cookie: 0x1n, cookieMask: ~0n }]));
    t.true(e instanceof OpenFlowError, String(e));
    t.is((e as OpenFlowError).info.codeName, 'OFPBIC_BAD_TABLE_ID');
    t.regex(e!.message, /OFPBIC_BAD_TABLE_ID \(OFPET_BAD_INSTRUCTION\).*table=5,priority=10.*goto_table:2/);
    t.deepEqual(await flowLines(), before, 'nothing changed (the good add and the delete were not applied)');
    await ofctl('del-flows', BR);
  });
}

serial('a flow referencing a missing meter is decoded as OFPMMFC_INVALID_METER naming the flow, and nothing changes', async (t) => {
  const c = await OpenFlowClient.connect(endpoint());
  t.teardown(() => c.close());
  const e = await t.throwsAsync(c.applyBundle([{ command: 'add', flow: { table: 0, priority: 5, cookie: PREFIX, match: {}, actions: [], meter: 77 } }]));
  t.true(e instanceof OpenFlowError);
  t.log(e!.message);
  t.is((e as OpenFlowError).info.codeName, 'OFPMMFC_INVALID_METER');
  t.regex(e!.message, /meter:77/);
  t.deepEqual(await flowLines(), []);
});

serial('cookie-masked delete removes only privroute flows; delete_strict / modify_strict hit one flow', async (t) => {
  const c = await OpenFlowClient.connect(endpoint());
  t.teardown(() => c.close());
  await ofctl('add-flow', BR, 'table=3,priority=7,cookie=0x42,actions=drop');
  const a: Flow = { table: 3, priority: 8, cookie: PREFIX | 5n, match: { in_port: 1 }, actions: [{ type: 'output', port: 2 }] };
  const b: Flow = { table: 3, priority: 9, cookie: PREFIX | 6n, match: { in_port: 2 }, actions: [{ type: 'output', port: 1 }] };
  await c.applyBundle([{ command: 'add', flow: a }, { command: 'add', flow: b }]);
  await c.applyBundle([{ command: 'modify_strict', flow: { ...a, actions: [{ type: 'output', port: 3 }] } }, { command: 'delete_strict', flow: b }]);
  const mine = await c.dumpFlows({ cookie: PREFIX, cookieMask: PMASK });
  t.deepEqual(canon(mine), canon([{ ...a, actions: [{ type: 'output', port: 3 }] }]));
  await c.applyBundle([{ command: 'delete', cookie: PREFIX, cookieMask: PMASK }]);
  const lines = await flowLines();
  t.is(lines.length, 1);
  t.regex(lines[0]!, /cookie=0x42, table=3, priority=7/);
  await ofctl('del-flows', BR);
});

serial('OVS refuses METER_MOD inside a bundle (so applyBundle applies meters around it)', async (t) => {
  const conn = await OfConnection.open(endpoint(), { versions: [4] });
  t.teardown(() => conn.close());
  const id = 99;
  const w = new Writer();
  let xid = conn.nextXid();
  encodeBundleControl(w, 4, xid, id, BUNDLE.OPEN_REQUEST, 3);
  await conn.request(xid, w.finish());
  const w2 = new Writer();
  xid = conn.nextXid();
  encodeBundleAdd(w2, 4, xid, id, 3, (iw) => encodeMeterMod(iw, 4, xid, { command: 'add', meter: { id: 5, unit: 'pktps', rate: 5 } }));
  const e = await t.throwsAsync(conn.request(xid, w2.finish()));
  t.true(e instanceof OpenFlowError, String(e));
  t.log(e!.message);
  t.regex((e as OpenFlowError).info.codeName, /OFPBFC_MSG_UNSUP|OFPBRC_BAD_TYPE/);
});

serial('a bridge that does not allow OpenFlow 1.3+ is refused with a clear error', async (t) => {
  await ovs.vsctl(['set', 'Bridge', BR, 'protocols=OpenFlow10']);
  t.teardown(() => ovs.vsctl(['set', 'Bridge', BR, 'protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15']).then(() => undefined));
  await new Promise((r) => setTimeout(r, 300));
  const e = await t.throwsAsync(OpenFlowClient.connect(endpoint(), { timeoutMs: 5000 }));
  t.log(e!.message);
  t.regex(e!.message, /OpenFlow version negotiation failed: the switch offers 1.0; privroute needs 1.3 or 1.4/);
});
