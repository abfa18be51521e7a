import test from 'ava';
import { spawnArgv } from '../../../src/host/local.js';
import { binarySkipReason, skipUnless } from '../../helpers/env.js';
import { generateClientKeys, generateKeyPair, hexToKey, isKeyB64, keyToHex, publicKeyOf } from '../../../src/tunnel/keys.js';

const noWg = skipUnless(binarySkipReason('wg'));

(noWg ? test.skip : test)('generated keys (Node crypto X25519) agree with `wg pubkey` (and with our X25519 derivation)', async (t) => {
  for (let i = 0; i < 20; i++) {
    const k = await generateKeyPair();
    const wg = (await spawnArgv('local', ['wg', 'pubkey'], { stdin: k.privateKey + '\n' })).stdout.trim();
    t.is(k.publicKey, wg);
    t.is(publicKeyOf(k.privateKey), wg);
  }
});

test('client keys: three distinct well-formed keys', async (t) => {
  const a = await generateClientKeys();
  const b = await generateClientKeys();
  for (const k of [a.privateKey, a.publicKey, a.presharedKey]) t.true(isKeyB64(k));
  t.not(a.privateKey, b.privateKey);
  t.not(a.presharedKey, b.presharedKey);
  t.is(publicKeyOf(a.privateKey), a.publicKey);
});

test('hex <-> base64 round trip; malformed keys rejected', (t) => {
  const k = 'mGv9b0hi1tc9+gRF4rv+dgUDD+aBtIKLszB8LgAB6AY=';
  t.is(keyToHex(k), '986bfd6f4862d6d73dfa0445e2bbfe7605030fe681b4828bb3307c2e0001e806');
  t.is(hexToKey(keyToHex(k)), k);
  t.false(isKeyB64('mGv9b0hi1tc9+gRF4rv+dgUDD+aBtIKLszB8LgAB6AY'));
  t.false(isKeyB64(k + '\n'));
  t.throws(() => keyToHex('abc'));
  t.throws(() => hexToKey('zz'.repeat(32)));
  t.throws(() => publicKeyOf('x'));
});
