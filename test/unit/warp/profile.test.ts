import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { chooseEndpoint, parseWgcfProfile, renderWgcfProfile, reservedBytes, tunnelModelFromDevice, tunnelModelFromProfile } from '../../../src/warp/profile.js';
import { device, PEER } from './_helpers.js';

test('renders the profile wgcf writes, from the device object', (t) => {
  const priv = generateKeyPair().privateKey;
  t.is(
    renderWgcfProfile(priv, device()),
    `[Interface]
PrivateKey = ${priv}
Address = 172.16.0.2/32, fd01:5741::2/128
DNS = 1.1.1.1, 1.0.0.1, 2606:4700:4700::1111, 2606:4700:4700::1001
MTU = 1280
[Peer]
PublicKey = ${PEER}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = engage.cloudflareclient.com:2408
`,
  );
});

test('the rendered profile parses back with our parser, every field kept', (t) => {
  const priv = generateKeyPair().privateKey;
  const p = parseWgcfProfile(renderWgcfProfile(priv, device()));
  t.is(p.privateKey, priv);
  t.deepEqual(p.addresses, ['172.16.0.2/32', 'fd01:5741::2/128']);
  t.is(p.mtu, 1280);
  t.is(p.dns.length, 4);
  t.deepEqual(p.peer, { publicKey: PEER, allowedIps: ['0.0.0.0/0', '::/0'], endpoint: 'engage.cloudflareclient.com:2408', persistentKeepalive: null });
});

test('the line right before [Peer] is not dropped (wireguard-tools.js parse() loses it)', (t) => {
  const priv = generateKeyPair().privateKey;
  const text = `[Interface]\nPrivateKey = ${priv}\nAddress = 172.16.0.2/32\nMTU = 1280\n[Peer]\nPublicKey = ${PEER}\nEndpoint = 1.2.3.4:2408\nPersistentKeepalive = 15\n`;
  const p = parseWgcfProfile(text);
  t.is(p.mtu, 1280);
  t.is(p.peer.persistentKeepalive, 15);
  const m = tunnelModelFromProfile(p, 'wireguard-go');
  t.is(m.mtu, 1280);
  t.is(m.address6, null);
  t.is(m.peer.persistentKeepalive, 15);
});

test('a broken profile is an InputError naming the key path, line and fix, never echoing the private key', (t) => {
  const priv = generateKeyPair().privateKey;
  const e = t.throws(() => parseWgcfProfile(`[Interface]\nPrivateKey = ${priv.slice(0, 20)}\nBogus = 1\n[Peer]\nPublicKey = nope\n`, 'plugins.privacy_router.warp.wgcf_config'), { instanceOf: InputError });
  t.regex(e!.message, /wgcf_config line 3: got "Bogus"/);
  t.regex(e!.message, /\[Interface\] PrivateKey: got "<redacted>"; a base64 WireGuard private key/);
  t.regex(e!.message, /\[Interface\] Address: got missing/);
  t.regex(e!.message, /\[Peer\] Endpoint: got missing/);
  t.false(e!.message.includes(priv.slice(0, 20)));
});

test('tunnel model: MTU 1280, addresses with prefixes, peer, v4 endpoint without IPv6 on the host', (t) => {
  const m = tunnelModelFromDevice(device(), { hostHasIpv6: false, backend: 'wireguard-go' });
  t.is(m.mtu, 1280);
  t.is(m.address4, '172.16.0.2/32');
  t.is(m.address6, 'fd01:5741::2/128');
  t.is(m.peer.publicKey, PEER);
  t.is(m.peer.endpoint, '162.159.192.1:2408'); // port 0 in v4 -> the host's port
  t.is(m.peer.endpointHost, 'engage.cloudflareclient.com:2408');
  t.is(tunnelModelFromDevice(device(), { hostHasIpv6: true, backend: 'wireguard-go' }).peer.endpoint, '[2606:4700:d0::a29f:c001]:2408');
});

test('endpoint choice falls back to host, and to port 2408', (t) => {
  t.is(chooseEndpoint({ host: 'engage.example:500' }, false), 'engage.example:500');
  t.is(chooseEndpoint({ v4: '10.0.0.1:0' }, true), '10.0.0.1:2408');
  t.is(chooseEndpoint({ v4: '10.0.0.1:903', host: 'x:2408' }, false), '10.0.0.1:903');
});

test('reserved bytes are the first 3 bytes of client_id, and reported as not applied on wireguard-go', (t) => {
  const r = reservedBytes('AQID', 'wireguard-go');
  t.deepEqual(r.bytes, [1, 2, 3]);
  t.false(r.applied);
  t.regex(r.detail, /unsupported: upstream wireguard-go/);
  const r2 = reservedBytes(Buffer.from([200, 7, 99, 4]).toString('base64'), 'kernel');
  t.deepEqual(r2.bytes, [200, 7, 99]);
  t.false(r2.applied);
  t.is(reservedBytes(undefined, 'wireguard-go').bytes, null);
});

test('generated keys are clamped like wg genkey, and the public key matches', async (t) => {
  const { publicKeyOf } = await import('../../../src/warp/keys.js');
  for (let i = 0; i < 50; i++) {
    const kp = generateKeyPair();
    const b = Buffer.from(kp.privateKey, 'base64');
    t.is(b[0]! & 7, 0);
    t.is(b[31]! & 128, 0);
    t.is(b[31]! & 64, 64);
    t.is(publicKeyOf(kp.privateKey), kp.publicKey);
  }
});
