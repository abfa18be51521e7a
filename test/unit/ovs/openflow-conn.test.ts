/**
 * OpenFlowClient against the stand-in switch (test/fixtures/openflow/fake-switch.ts):
 * version negotiation refuses < 1.3 with a clear error; a bundle is sent as
 * OPEN, pipelined ADD_MESSAGEs (inner bytes == ovs-ofctl's), BARRIER, COMMIT.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OpenFlowClient } from '../../../src/ovs/openflow/client.js';
import { fakeSwitch } from '../../fixtures/openflow/fake-switch.js';
import { FLOW_CASES } from '../../fixtures/openflow/cases.js';
import { isPrivrouteError } from '../../../src/core/errors.js';

const sockPath = (tag: string): string => path.join(tmpdir(), `privroute-ofconn-${process.pid}-${tag}.sock`);
const fx = JSON.parse(readFileSync(new URL('../../fixtures/openflow/flowmods.json', import.meta.url), 'utf8')) as { cases: { name: string; command: string; hex: string }[] };

test('refuses a switch that only speaks OpenFlow 1.0, naming the versions', async (t) => {
  const sw = await fakeSwitch(sockPath('v1'), 1);
  try {
    const e = await t.throwsAsync(OpenFlowClient.connect(`unix:${sockPath('v1')}`, { timeoutMs: 3000 }));
    t.true(isPrivrouteError(e));
    t.regex(e!.message, /negotiation failed: the switch offers 1\.0; privroute needs 1\.3 or 1\.4/);
  } finally {
    await sw.close();
  }
});

test('rejects a malformed endpoint before connecting', async (t) => {
  const e = await t.throwsAsync(OpenFlowClient.connect('br0.mgmt'));
  t.regex(e!.message, /openflow endpoint: got "br0.mgmt"/);
});

test('applyBundle pipelines ONF bundle adds carrying the same flow_mod bytes as ovs-ofctl', async (t) => {
  const sw = await fakeSwitch(sockPath('v4'), 4);
  try {
    const c = await OpenFlowClient.connect(`unix:${sockPath('v4')}`, { timeoutMs: 3000 });
    t.is(c.version, 4);
    const cases = FLOW_CASES.slice(0, 5);
    await c.applyBundle(cases.map((f) => ({ command: 'add', flow: f.flow })));
    await c.close();
    const ctl = sw.messages.filter((m) => m.type === 4 && m.hex.slice(24, 32) === '000008fc').map((m) => Buffer.from(m.hex, 'hex').readUInt16BE(20));
    t.deepEqual(ctl, [0, 4], 'OPEN then COMMIT');
    const adds = sw.messages.filter((m) => m.type === 4 && m.hex.slice(24, 32) === '000008fd').map((m) => Buffer.from(m.hex, 'hex'));
    t.is(adds.length, cases.length);
    for (let i = 0; i < cases.length; i++) {
      const outer = adds[i]!;
      t.is(outer.readUInt32BE(12), 2301, 'ONF exp_type BUNDLE_ADD_MESSAGE');
      t.is(outer.readUInt16BE(22), 3, 'flags ATOMIC|ORDERED');
      const inner = Buffer.from(outer.subarray(24));
      t.is(inner.readUInt32BE(4), outer.readUInt32BE(4), 'inner xid == outer xid');
      const want = Buffer.from(fx.cases.find((x) => x.name === cases[i]!.name && x.command === 'add')!.hex, 'hex');
      inner.writeUInt32BE(want.readUInt32BE(4), 4);
      t.is(inner.toString('hex'), want.toString('hex'), cases[i]!.name);
    }
  } finally {
    await sw.close();
  }
});

test('an unencodable mod (unresolved port name) rejects before anything is sent', async (t) => {
  const sw = await fakeSwitch(sockPath('enc'), 4);
  try {
    const c = await OpenFlowClient.connect(`unix:${sockPath('enc')}`, { timeoutMs: 3000 });
    const ok = FLOW_CASES[0]!.flow;
    const e = await t.throwsAsync(c.applyBundle([{ command: 'add', flow: ok }, { command: 'add', flow: { ...ok, actions: [{ type: 'output', port: 'warp0' }] } }], [{ command: 'add', meter: { id: 1, unit: 'pktps', rate: 5 } }]));
    t.regex(e!.message, /warp0.*not resolved/);
    await c.barrier();
    await c.close();
    t.deepEqual(sw.messages.map((m) => m.type), [], 'no meter, bundle or flow message reached the switch');
  } finally {
    await sw.close();
  }
});

test('answers the switch ECHO_REQUEST with an ECHO_REPLY carrying the same xid and payload', async (t) => {
  const sw = await fakeSwitch(sockPath('echo'), 4);
  try {
    const c = await OpenFlowClient.connect(`unix:${sockPath('echo')}`, { timeoutMs: 3000 });
    sw.inject(Buffer.from('0402000c00000077cafef00d', 'hex'));
    for (let i = 0; i < 300 && !sw.messages.some((m) => m.type === 3); i++) await new Promise((r) => setTimeout(r, 10));
    t.deepEqual(sw.messages.filter((m) => m.type === 3), [{ type: 3, xid: 0x77, hex: '0403000c00000077cafef00d' }]);
    await c.close();
  } finally {
    await sw.close();
  }
});
