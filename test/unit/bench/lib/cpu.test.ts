/**
 * The bench's CPU accounting helpers (bench/lib/cpu.ts): which process is whose
 * (by exact argv), and core-seconds per Gbit from % of a core and Mbit/s.
 */
import test from 'ava';
import { ALL_LABELLED, chainLabeller, perGbit } from '../../../../bench/lib/cpu.js';

const lab = chainLabeller({ tag: '', dir: '/run/privroute-lab/lb1234', ifnames: { gateway: 'lb1234wg', warp: 'lb1234wrp' }, engines: [['/vps-files/', 'v2ray vps']] });
const hand = chainLabeller({ tag: 'hand', dir: '/run/privroute-lab/hbab12', ifnames: { gateway: 'hbab12gw' }, engines: [['hand-v2ray-ct101', 'v2ray ct101']] });

test('labels a chain\'s processes by interface name, engine config path and OVS run dir, and nothing else', (t) => {
  t.is(lab(['wireguard-go', '-f', 'lb1234wg']), 'wireguard-go gateway');
  t.is(lab(['wireguard-go', '-f', 'otherwg']), null);
  t.is(lab(['/usr/bin/v2ray', '-config', '/run/privroute-lab/lb1234/vps-files/etc/privroute-xray/config.json']), 'v2ray vps');
  t.is(lab(['/usr/bin/v2ray', '-config', '/run/privroute-lab/lb12345/vps-files/etc/privroute-xray/config.json']), null);
  t.is(lab(['ovs-vswitchd', 'unix:/run/privroute-lab/lb1234/ovs-lb1234-node/db.sock']), 'ovs-vswitchd');
  t.is(lab(['ovs-vswitchd', 'unix:/run/privroute-lab/lb1234r/ovs/db.sock']), null);
  t.is(hand(['wireguard-go', '-f', 'hbab12gw']), 'hand wireguard-go gateway');
  t.is(hand(['v2ray', '-config', '/run/privroute-lab/hbab12/hand-v2ray-ct101.json']), 'hand v2ray ct101');
});

test('core-seconds per Gbit: % of a core over the rate; nothing moved gives null', (t) => {
  // 50 % of a core while moving 100 Mbit/s = 0.5 core-s per 0.1 Gbit = 5 core-s per Gbit.
  t.deepEqual(perGbit({ 'wireguard-go gateway': 50, [ALL_LABELLED]: 120, 'rest of the machine': 30, 'machine capacity': 200 }, 100), { 'wireguard-go gateway': 5, [ALL_LABELLED]: 12 });
  t.is(perGbit({ [ALL_LABELLED]: 120 }, 0), null);
});
