/**
 * Packets per MB of goodput (bench/lib/packets.ts): the interfaces that moved
 * packets, per MB actually delivered; null when nothing was delivered.
 */
import test from 'ava';
import { packetsPerMb } from '../../../../bench/lib/packets.js';

test('packets per MB of goodput, only for interfaces that moved packets', (t) => {
  // 2 MB delivered; the gateway's tunnel saw 1800 data + 900 ACK packets → 1350 per MB.
  t.deepEqual(packetsPerMb({ 'wg gateway': 100, 'wg warp': 5 }, { 'wg gateway': 2800, 'wg warp': 5 }, 2e6), { 'wg gateway': 1350 });
  t.is(packetsPerMb({ a: 1 }, { a: 9 }, 0), null);
});
