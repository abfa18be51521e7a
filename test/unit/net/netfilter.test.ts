import test from 'ava';
import { parseListing, splitListingLine, reconcileNetfilter, ruleId, addArgv, type NfRule } from '../../../src/net/netfilter.js';

const rule: NfRule = { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'warp0', '-o', 'wgwarp', '-j', 'ACCEPT'] };

test('rule ids are stable and change with the rule', (t) => {
  t.is(ruleId(rule), ruleId({ ...rule, spec: [...rule.spec] }));
  t.not(ruleId(rule), ruleId({ ...rule, chain: 'INPUT' }));
  t.deepEqual(addArgv('warp', rule).slice(-4), ['-m', 'comment', '--comment', `privroute/warp:${ruleId(rule)}`]);
});

test('listing parse finds policy and owned rules only', (t) => {
  const id = ruleId(rule);
  const out = `-P FORWARD DROP\n-A FORWARD -i lo -j ACCEPT\n-A FORWARD -i warp0 -o wgwarp -m comment --comment "privroute/warp:${id}" -j ACCEPT\n-A FORWARD -m comment --comment "privroute/ingress:${id}" -j ACCEPT\n`;
  const o = parseListing(out, 'warp');
  t.is(o.policy, 'DROP');
  t.deepEqual([...o.owned.keys()], [id]);
  t.deepEqual(reconcileNetfilter({ owner: 'warp', rules: [rule], policies: [{ family: 4, table: 'filter', chain: 'FORWARD', policy: 'DROP' }] }, new Map([['4/filter/FORWARD', o]])), []);
});

test('listing lines split with quotes', (t) => {
  t.deepEqual(splitListingLine('-A X -m comment --comment "a b\\"c" -j ACCEPT'), ['-A', 'X', '-m', 'comment', '--comment', 'a b"c', '-j', 'ACCEPT']);
});
