import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseGet, parseReply, renderSet, UapiError } from '../../../src/tunnel/device/uapi.js';
import { parseWgDump } from '../../../src/tunnel/device/kernel.js';
import { hexToKey } from '../../../src/tunnel/keys.js';

const fx = (f: string) => readFileSync(new URL(`../../fixtures/uapi/${f}`, import.meta.url), 'utf8');
// Captured from wireguard-go 0.0.2023 (Debian 12): `get=1` and `wg show <if> dump` of the same device.
const GET = fx('get-two-peers.txt');
const DUMP = fx('wg-show-dump-two-peers.txt');

test('parseGet reads the captured wireguard-go reply', (t) => {
  const d = parseGet(GET);
  t.is(d.listenPort, 51999);
  t.is(d.fwmark, 0x42);
  t.is(d.peers.length, 2);
  const [a, b] = d.peers;
  t.is(a!.publicKey, hexToKey('986bfd6f4862d6d73dfa0445e2bbfe7605030fe681b4828bb3307c2e0001e806'));
  t.truthy(a!.presharedKey);
  t.is(a!.endpoint, '192.0.2.7:51820');
  t.deepEqual(a!.allowedIps, ['10.8.0.2/32', 'fd00:8::2/128']);
  t.is(a!.persistentKeepalive, 25);
  t.is(a!.lastHandshake, null);
  t.is(b!.presharedKey, undefined, 'all-zero PSK means none');
  t.is(b!.persistentKeepalive, undefined, 'keepalive 0 means off');
  t.deepEqual(b!.allowedIps, ['10.8.0.3/32']);
});

test('UAPI get and `wg show dump` of the same device parse to the same model (public key derived = wg)', (t) => {
  const u = parseGet(GET);
  const k = parseWgDump(DUMP);
  // The UAPI reply has no device public key; we derive it. wg printed its own: they must agree.
  t.is(u.publicKey, k.publicKey);
  t.is(u.privateKey, k.privateKey);
  t.is(u.listenPort, k.listenPort);
  t.is(u.fwmark, k.fwmark);
  const strip = (p: (typeof u.peers)[number]) => ({ ...p, lastHandshake: p.lastHandshake ?? null });
  t.deepEqual(
    [...u.peers].sort((x, y) => x.publicKey.localeCompare(y.publicKey)).map(strip),
    [...k.peers].sort((x, y) => x.publicKey.localeCompare(y.publicKey)).map(strip),
  );
});

test('parseGet: handshake time and counters', (t) => {
  const text = GET.replace('last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=25', 'last_handshake_time_sec=1700000000\nlast_handshake_time_nsec=500000000\ntx_bytes=1234\nrx_bytes=99\npersistent_keepalive_interval=25');
  t.not(text, GET);
  const p = parseGet(text).peers[0]!;
  t.is(p.lastHandshake!.toISOString(), '2023-11-14T22:13:20.500Z');
  t.is(p.txBytes, 1234);
  t.is(p.rxBytes, 99);
});

test('parseReply: errno trailer', (t) => {
  t.deepEqual(parseReply('errno=0\n\n'), []);
  const e = t.throws(() => parseReply('errno=-22\n\n'), { instanceOf: UapiError });
  t.is(e!.errno, -22);
  t.throws(() => parseReply(''), { instanceOf: UapiError, message: /no errno/ });
  t.throws(() => parseReply('garbage\nerrno=0\n\n'), { instanceOf: UapiError, message: /malformed/ });
});

const K1 = 'mGv9b0hi1tc9+gRF4rv+dgUDD+aBtIKLszB8LgAB6AY=';
const PSK = 'WEL6GUWoJpvQ59gWX58ud6ITjEzfEVUSAeGkG1CD4d0=';

test('renderSet: one upsert is exact (PSK, keepalive, replace_allowed_ips) and ends with a blank line', (t) => {
  const s = renderSet({ peers: [{ kind: 'upsert', peer: { publicKey: K1, presharedKey: PSK, allowedIps: ['10.8.0.2/32', 'fd00:8::2/128'] } }] });
  t.is(
    s,
    [
      'set=1',
      'public_key=986bfd6f4862d6d73dfa0445e2bbfe7605030fe681b4828bb3307c2e0001e806',
      'preshared_key=5842fa1945a8269bd0e7d8165f9f2e77a2138c4cdf11551201e1a41b5083e1dd',
      'persistent_keepalive_interval=0',
      'replace_allowed_ips=true',
      'allowed_ip=10.8.0.2/32',
      'allowed_ip=fd00:8::2/128',
      '',
      '',
    ].join('\n'),
  );
});

test('renderSet: remove, device fields, no PSK clears it', (t) => {
  t.is(renderSet({ peers: [{ kind: 'remove', publicKey: K1 }] }), `set=1\npublic_key=986bfd6f4862d6d73dfa0445e2bbfe7605030fe681b4828bb3307c2e0001e806\nremove=true\n\n`);
  t.is(renderSet({ listenPort: 51820 }), 'set=1\nlisten_port=51820\n\n');
  t.regex(renderSet({ peers: [{ kind: 'upsert', peer: { publicKey: K1, allowedIps: [] } }] }), /preshared_key=0{64}\n/);
});

test('renderSet: hostile values cannot inject protocol lines', (t) => {
  t.throws(() => renderSet({ peers: [{ kind: 'upsert', peer: { publicKey: K1, allowedIps: ['10.0.0.1/32\nremove=true'] } }] }), { instanceOf: UapiError });
  t.throws(() => renderSet({ peers: [{ kind: 'upsert', peer: { publicKey: K1, endpoint: '1.2.3.4:5\nreplace_peers=true', allowedIps: [] } }] }), { instanceOf: UapiError });
  t.throws(() => renderSet({ peers: [{ kind: 'remove', publicKey: 'not a key\nreplace_peers=true' }] }));
  t.throws(() => renderSet({ listenPort: 70000 }), { instanceOf: UapiError });
});

test('parseWgDump: rejects malformed dumps', (t) => {
  t.throws(() => parseWgDump(''));
  t.throws(() => parseWgDump('a\tb\n'));
  t.throws(() => parseWgDump(DUMP.split('\n')[0] + '\nnotakey\t(none)\t(none)\t(none)\t0\t0\t0\toff\n'));
});
