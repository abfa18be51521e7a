import test from 'ava';
import { renderClientConfig, parseWgQuick } from '../../../src/tunnel/render.js';

const base = {
  privateKey: 'UCeDpRap95Y+k1QT24vZejxHJgM9zLWtzhfHFPsszVg=',
  address4: '10.8.0.2',
  address6: null,
  dns: ['10.8.0.1'],
  mtu: 1420,
  serverPublicKey: '/0qyU/b5O5X2/ZFwUIyX1o6NLWQw7x8gMtpUlVMmrVg=',
  presharedKey: 'B8jscw15vmAgOwSdXGYrXWno+bDgW3RG9uFObobH8DM=',
  endpoint: 'vpn.example.com:51820',
  persistentKeepalive: 25,
};

test('golden: IPv4 client config', (t) => {
  t.is(
    renderClientConfig(base),
    `[Interface]
PrivateKey = UCeDpRap95Y+k1QT24vZejxHJgM9zLWtzhfHFPsszVg=
Address = 10.8.0.2/32
DNS = 10.8.0.1
MTU = 1420

[Peer]
PublicKey = /0qyU/b5O5X2/ZFwUIyX1o6NLWQw7x8gMtpUlVMmrVg=
PresharedKey = B8jscw15vmAgOwSdXGYrXWno+bDgW3RG9uFObobH8DM=
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25
`,
  );
});

test('golden: dual stack, two DNS, MTU from config, no keepalive', (t) => {
  const s = renderClientConfig({ ...base, address6: 'fd00:8::2', dns: ['1.1.1.1', '2606:4700:4700::1111'], mtu: 1380, persistentKeepalive: 0 });
  t.regex(s, /^Address = 10\.8\.0\.2\/32, fd00:8::2\/128$/m);
  t.regex(s, /^DNS = 1\.1\.1\.1, 2606:4700:4700::1111$/m);
  t.regex(s, /^MTU = 1380$/m);
  t.notRegex(s, /PersistentKeepalive/);
  t.notRegex(s, /ListenPort/);
  const p = parseWgQuick(s);
  t.is(p.peers[0]!.AllowedIPs, '0.0.0.0/0, ::/0');
});
