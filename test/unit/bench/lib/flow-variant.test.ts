/**
 * The bench's flow rewrites (bench/lib/flow-variant.ts) on lines of a real
 * `ovs-ofctl -O OpenFlow14 dump-flows --no-stats` of the lab's bridge: each takes
 * out exactly its one thing and leaves every other flow as it was.
 */
import test from 'ava';
import { withoutConntrack, withoutMeters, withoutObfuscation } from '../../../../bench/lib/flow-variant.js';

const DUMP = [
  ' cookie=0x7072000308000002, table=10, priority=210,icmp,in_port=1,dl_src=02:a0:06:9e:09:c1,nw_src=10.78.0.1 actions=meter:131077,goto_table:20',
  ' cookie=0x7072000414000001, table=20, priority=100,ip,reg0=0x1 actions=ct(table=21,zone=77)',
  ' cookie=0x7072000b00000001, table=20, priority=90,reg0=0x1 actions=goto_table:30',
  ' cookie=0x7072000416000000, table=21, priority=200,ct_state=+est+trk actions=goto_table:30',
  ' cookie=0x7072000417000065, table=21, priority=100,ct_state=+new-est-rel-inv+trk,ip,in_port=2,dl_dst=02:80:05:92:67:58 actions=ct(commit,zone=77),goto_table:30',
  ' cookie=0x707200081f000001, table=50, priority=100,ip,reg1=0x1 actions=mod_nw_ttl:64,set_field:02:c6:8d:7a:0a:fe->eth_src,goto_table:60',
  ' cookie=0x7072000928000001, table=60, priority=100,reg1=0x1,in_port=2,dl_dst=02:80:05:92:67:58 actions=output:6',
];

const changed = (a: string[], b: string[]) => a.map((l, i) => (l === b[i] ? null : i)).filter((i) => i !== null);

test('conntrack off: stage 20 goes straight to the privacy chain, the commit flows lose ct(commit), nothing else moves', (t) => {
  const out = withoutConntrack(DUMP);
  t.deepEqual(changed(DUMP, out), [1, 4]);
  t.true(out[1]!.endsWith('actions=goto_table:30'));
  t.true(out[4]!.endsWith('actions=goto_table:30'));
  t.false(out.some((l) => l.includes('ct(')));
});

test('meters off: only the meter instruction goes', (t) => {
  const out = withoutMeters(DUMP);
  t.deepEqual(changed(DUMP, out), [0]);
  t.true(out[0]!.endsWith('actions=goto_table:20'));
});

test('obfuscation off: the TTL rewrite and the source-MAC rewrite go, the goto stays', (t) => {
  const out = withoutObfuscation(DUMP);
  t.deepEqual(changed(DUMP, out), [5]);
  t.true(out[5]!.endsWith('actions=goto_table:60'));
});
