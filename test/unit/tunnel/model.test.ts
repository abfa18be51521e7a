import test from 'ava';
import { diffPeers, isNoop, type Peer, type PeerSpec } from '../../../src/tunnel/device/model.js';

const k = (i: number) => Buffer.alloc(32, i).toString('base64');
const spec = (i: number, extra: Partial<PeerSpec> = {}): PeerSpec => ({ publicKey: k(i), presharedKey: k(100 + i), allowedIps: [`10.8.0.${i}/32`], ...extra });
const live = (s: PeerSpec, extra: Partial<Peer> = {}): Peer => ({ ...s, rxBytes: 5, txBytes: 6, lastHandshake: new Date(0), ...extra });

test('diffPeers: add missing, update changed, remove stale, keep matching', (t) => {
  const desired = [spec(2), spec(3), spec(4)];
  const observed = [
    live(spec(2)), // same
    live(spec(3, { allowedIps: ['10.8.0.99/32'] })), // changed allowed IPs
    live(spec(9)), // stale
  ];
  const c = diffPeers(desired, observed);
  t.deepEqual(c.upsert.map((p) => p.publicKey).sort(), [k(3), k(4)].sort());
  t.deepEqual(c.updatedKeys, [k(3)]);
  t.deepEqual(c.remove, [k(9)]);
  t.is(c.unchanged, 1);
});

test('diffPeers: roaming endpoint, counters, CIDR order/case are not drift; PSK change is', (t) => {
  const d = spec(2, { allowedIps: ['10.8.0.2/32', 'FD00::2/128'] });
  const o = live({ ...d, allowedIps: ['fd00::2/128', '10.8.0.2/32'] }, { endpoint: '198.51.100.1:4444', rxBytes: 1e6 });
  t.true(isNoop(diffPeers([d], [o])));
  t.false(isNoop(diffPeers([d], [live({ ...d, presharedKey: undefined })])));
  t.false(isNoop(diffPeers([d], [live({ ...d, persistentKeepalive: 25 })])));
});

test('diffPeers: empty desired removes everything; empty both is a no-op', (t) => {
  t.deepEqual(diffPeers([], [live(spec(2))]).remove, [k(2)]);
  t.true(isNoop(diffPeers([], [])));
});
