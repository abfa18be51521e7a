import test from 'ava';
import { compilePipeline } from '../../../src/flows/compile.js';
import { flowText } from '../../../src/flows/text.js';
import { linkHome, planMacMoves, unionPipeline } from '../../../src/rotation/mac-plan.js';
import { topologyForSalt } from '../../../src/rotation/mac.js';
import { seedConfig } from '../flows/_seed.js';
import { validateConfig } from '../../../src/config/index.js';
import { applianceTopology, MAC_SALT_KEY } from '../../../src/topology/topology.js';

const config = seedConfig((r) => {
  r.wireguard.access_port = 'access0';
});
const before = topologyForSalt(config, '');
const after = topologyForSalt(config, 'abc123');

test('every port moves except the client access port, each where its link lives', (t) => {
  const moves = planMacMoves(before, after);
  t.false(moves.some((m) => m.name === 'access0'), 'the access port is not privroute\'s to move');
  t.is(before.ports.find((p) => p.name === 'access0')!.mac, after.ports.find((p) => p.name === 'access0')!.mac, 'its MAC is not salted');
  t.deepEqual(moves.map((m) => m.name).sort(), before.ports.filter((p) => p.role !== 'access').map((p) => p.name).sort());
  for (const m of moves) t.not(m.from, m.to);
  t.deepEqual(moves.find((m) => m.name === 'internal_100')!.home, { kind: 'container', id: 100 });
  t.deepEqual(moves.find((m) => m.name === 'warp0')!.home, { kind: 'node' });
  t.deepEqual(linkHome(before.ports.find((p) => p.name === 'access0')!), { kind: 'foreign' });
  t.not(before.egressMac, after.egressMac, 'the egress rewrite MAC rotates too');
  t.deepEqual(planMacMoves(after, after), [], 'nothing moves under the same salt');
});

test('the make-before-break pipeline accepts the old and the new MACs; the egress rewrite takes the new one', (t) => {
  const a = compilePipeline(config, { topology: before });
  const b = compilePipeline(config, { topology: after });
  const u = unionPipeline(a, b);
  const text = u.flows.map((f) => flowText(f)).join('\n');
  const gwOld = before.ports.find((p) => p.name === 'internal_100')!.mac;
  const gwNew = after.ports.find((p) => p.name === 'internal_100')!.mac;
  for (const mac of [gwOld, gwNew]) {
    t.regex(text, new RegExp(`arp_sha=${mac}`), `ARP anti-spoof for ${mac}`);
    t.regex(text, new RegExp(`dl_dst=${mac}|eth_dst=${mac}`), `chain/output flows deliver to ${mac}`);
  }
  t.true(text.includes(after.egressMac), 'the egress rewrite carries the new MAC');
  t.false(text.includes(before.egressMac), 'one rewrite flow per key: the old egress MAC is gone');
  // Every flow of both pipelines is in the union unless it shares a key with a new one.
  t.true(u.flows.length > b.flows.length && u.flows.length < a.flows.length + b.flows.length);
  const uText = new Set(u.flows.map((f) => flowText(f)));
  for (const f of b.flows) t.true(uText.has(flowText(f)), `new flow ${flowText(f)} kept`);
});

test('the rotation topology is the appliance topology under the new salt: same ports, the ingress port included', (t) => {
  const withUplink = validateConfig({ version: 1, plugins: { privacy_router: { wireguard: { uplink: 'vmbr0', access_port: 'lan0' } } } });
  const store = { getKv: (k: string) => (k === MAC_SALT_KEY ? 'abc123' : undefined) };
  t.deepEqual(topologyForSalt(withUplink, 'abc123'), applianceTopology(withUplink, store));
  t.truthy(topologyForSalt(withUplink, 'abc123').ports.find((p) => p.role === 'ingress'));
});
