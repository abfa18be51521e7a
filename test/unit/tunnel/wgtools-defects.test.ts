/**
 * Measures the documented defects of wireguard-tools.js 1.8.1 (the library the
 * owner named) in its wg-quick text functions. Each test asserts that the defect
 * EXISTS today: if one fails, the library was fixed and device/uapi.ts + render.ts
 * may reconsider using it. The device-control defect (setConfig/getConfig against
 * wireguard-go) needs a real device: test/integration/tunnel/wgtools-defects.test.ts.
 */
import test from 'ava';
import { wgQuick } from 'wireguard-tools.js';
import { renderClientConfig, parseWgQuick } from '../../../src/tunnel/render.js';

const PRIV = 'UCeDpRap95Y+k1QT24vZejxHJgM9zLWtzhfHFPsszVg=';
const PUB = '/0qyU/b5O5X2/ZFwUIyX1o6NLWQw7x8gMtpUlVMmrVg=';
const PSK = 'B8jscw15vmAgOwSdXGYrXWno+bDgW3RG9uFObobH8DM=';

const ours = renderClientConfig({
  privateKey: PRIV, address4: '10.8.0.2', address6: null, dns: ['10.8.0.1'], mtu: 1420,
  serverPublicKey: PUB, presharedKey: PSK, endpoint: 'vpn.example.com:51820', persistentKeepalive: 25,
});

test('DEFECT wgtools stringify invents "DNS = 1.1.1.1, 8.8.8.8" and "ListenPort = 0"', (t) => {
  const s = wgQuick.stringify({ privateKey: PRIV, Address: ['10.8.0.2/32'], peers: { [PUB]: { allowedIPs: ['0.0.0.0/0'] } } });
  t.regex(s, /^DNS = 1\.1\.1\.1, 8\.8\.8\.8$/m, 'no DNS was given, yet it writes public resolvers');
  t.regex(s, /^ListenPort = 0$/m);
});

test('DEFECT wgtools parse drops MTU and PersistentKeepalive (our parser keeps them)', (t) => {
  const p = wgQuick.parse(ours) as unknown as Record<string, unknown> & { peers: Record<string, Record<string, unknown>> };
  const json = JSON.stringify(p);
  t.false(/1420/.test(json), 'MTU lost');
  t.truthy(p.peers[PUB], 'the peer itself is parsed');
  t.false('keepInterval' in p.peers[PUB]!, 'PersistentKeepalive lost');
  // Control: the text does contain both, and our parser sees them.
  const mine = parseWgQuick(ours);
  t.is(mine.iface.MTU, '1420');
  t.is(mine.peers[0]!.PersistentKeepalive, '25');
});
