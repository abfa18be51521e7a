import test from 'ava';
import { parseListing, splitListingLine, ruleId, insertArgv, insertPositions, ruleDrift, deleteLineArgv, type NfRule } from '../../../src/net/netfilter.js';

const rule: NfRule = { family: 4, table: 'filter', chain: 'FORWARD', spec: ['-i', 'warp0', '-o', 'wgwarp', '-j', 'ACCEPT'] };
const r2: NfRule = { ...rule, spec: ['-i', 'warp0', '-j', 'DROP'] };
const r3: NfRule = { ...rule, spec: ['-o', 'warp0', '-j', 'DROP'] };
const line = (r: NfRule, owner = 'warp') => `-A ${r.chain} ${r.spec.join(' ')} -m comment --comment "privroute/${owner}:${ruleId(r)}"`;

test('rule ids are stable and change with the rule; the insert argv carries the ownership comment', (t) => {
  t.is(ruleId(rule), ruleId({ ...rule, spec: [...rule.spec] }));
  t.not(ruleId(rule), ruleId({ ...rule, chain: 'INPUT' }));
  t.deepEqual(insertArgv('warp', rule, 3).slice(0, 7), ['iptables', '-w', '-t', 'filter', '-I', 'FORWARD', '3']);
  t.deepEqual(insertArgv('warp', rule, 1).slice(-4), ['-m', 'comment', '--comment', `privroute/warp:${ruleId(rule)}`]);
});

test('listing parse: policy, every -A line, and the owner/id of privroute lines', (t) => {
  const out = `-P FORWARD DROP\n-A FORWARD -i lo -j ACCEPT\n${line(rule)}\n${line(rule, 'ingress')}\n`;
  const o = parseListing(out);
  t.is(o.policy, 'DROP');
  t.deepEqual(o.lines.map((l) => l.owner ?? null), [null, 'warp', 'ingress']);
  t.is(o.lines[1]!.id, ruleId(rule));
});

test('insert positions keep our rules first and in order, above foreign ones, filling a gap in place', (t) => {
  // Ours: rule, r3 present; r2 missing in the middle; a foreign ACCEPT sits below ours.
  const o = parseListing(`-P FORWARD ACCEPT\n${line(rule)}\n${line(r3)}\n-A FORWARD -j ACCEPT\n`);
  t.deepEqual(insertPositions('warp', [rule, r2, r3], o).map((x) => [x.rule.spec.join(' '), x.pos]), [['-i warp0 -j DROP', 2]]);
  // Nothing present: 1, 2, 3 in order, above the foreign line.
  const empty = parseListing(`-P FORWARD ACCEPT\n-A FORWARD -j ACCEPT\n`);
  t.deepEqual(insertPositions('warp', [rule, r2, r3], empty).map((x) => x.pos), [1, 2, 3]);
  // Another owner's rules are not ours to order against.
  const other = parseListing(`-P FORWARD ACCEPT\n${line(rule, 'ingress')}\n`);
  t.deepEqual(insertPositions('warp', [rule], other).map((x) => x.pos), [1]);
});

test('drift: missing, or a foreign rule that can end the walk above ours (LOG cannot)', (t) => {
  t.regex(ruleDrift('warp', rule, parseListing('-P FORWARD ACCEPT\n')) ?? '', /^missing: /);
  t.is(ruleDrift('warp', rule, parseListing(`-P FORWARD ACCEPT\n-A FORWARD -j LOG\n${line(rule)}\n`)), null);
  t.regex(ruleDrift('warp', rule, parseListing(`-P FORWARD ACCEPT\n-A FORWARD -i warp0 -j ACCEPT\n${line(rule)}\n`)) ?? '', /after a foreign rule \(-A FORWARD -i warp0 -j ACCEPT\)/);
  t.regex(ruleDrift('warp', rule, parseListing(`-P FORWARD ACCEPT\n-A FORWARD -j PVEFW-FORWARD\n${line(rule)}\n`)) ?? '', /after a foreign rule/);
});

test('listing lines split with quotes', (t) => {
  t.deepEqual(splitListingLine('-A X -m comment --comment "a b\\"c" -j ACCEPT'), ['-A', 'X', '-m', 'comment', '--comment', 'a b"c', '-j', 'ACCEPT']);
});

test('deleteLineArgv: an IPv4 conntrack address listed without its mask gets /32 back (iptables -D refuses the bare address)', (t) => {
  // Measured: `iptables -S` prints `--ctreplsrc 10.77.0.100` for a rule inserted with 10.77.0.100/32, and
  // `iptables -D` with the bare address fails ("Bad rule"); with /32 it deletes. ip6tables takes the bare address.
  const line = '-A OUTPUT -p icmp -m conntrack --ctstate RELATED --ctreplsrc 10.77.0.100 -m comment --comment "privroute/ingress:85ce254ec226" -j DROP';
  t.deepEqual(deleteLineArgv(4, 'filter', line), [
    'iptables', '-w', '-t', 'filter', '-D', 'OUTPUT', '-p', 'icmp', '-m', 'conntrack', '--ctstate', 'RELATED', '--ctreplsrc', '10.77.0.100/32', '-m', 'comment', '--comment', 'privroute/ingress:85ce254ec226', '-j', 'DROP',
  ]);
  t.deepEqual(deleteLineArgv(4, 'filter', '-A X --ctorigdst 10.0.0.0/8 -j DROP').slice(5), ['X', '--ctorigdst', '10.0.0.0/8', '-j', 'DROP']);
  t.deepEqual(deleteLineArgv(6, 'filter', '-A OUTPUT --ctreplsrc fd77::100 -j DROP').slice(5), ['OUTPUT', '--ctreplsrc', 'fd77::100', '-j', 'DROP']);
});
