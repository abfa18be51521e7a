import test from 'ava';
import { keyAges, keyDue, rotateClientKeys, setKeyLifetime } from '../../../src/rotation/client-keys.js';
import { listRotations } from '../../../src/state/rotations.js';
import { ClientService } from '../../../src/tunnel/clients.js';
import { parseWgQuick } from '../../../src/tunnel/render.js';
import { FakeBackend } from '../tunnel/_fake-backend.js';
import { seedConfig, tmpStore } from '../tunnel/_helpers.js';

function setup(t: Parameters<typeof tmpStore>[0]) {
  const store = tmpStore(t);
  const dev = new FakeBackend();
  const svc = new ClientService(store, seedConfig({ subnet6: 'fd00:8::/64' }), dev);
  return { store, dev, svc };
}

test('rotate-client: new keys and PSK, same addresses, exactly one device request swapping the peer', async (t) => {
  const { svc, dev, store } = setup(t);
  await svc.add('alice');
  const bob = (await svc.add('bob')).client;
  dev.requests.length = 0;
  const r = await rotateClientKeys(svc, 'bob');
  t.is(r.applied, 'applied');
  t.deepEqual(dev.mutations(), [[`+${r.publicKey}`, `-${bob.publicKey}`]], 'one request: new peer upserted, old removed');
  t.false(dev.peers.has(bob.publicKey), 'the old key is gone from the interface');
  t.deepEqual(dev.peers.get(r.publicKey)!.allowedIps, [`${bob.address4}/32`, `${bob.address6}/128`]);
  const now = svc.get('bob');
  t.is(now.address4, bob.address4);
  t.is(now.publicKey, r.publicKey);
  t.not(now.presharedKey, bob.presharedKey, 'a new preshared key too');
  const cfg = parseWgQuick(r.configText);
  t.is(cfg.peers[0]!.PresharedKey, now.presharedKey);
  t.is(cfg.iface.Address, `${bob.address4}/32, ${bob.address6}/128`);
  t.like(listRotations(store)[0], { kind: 'client', subject: 'bob', outcome: 'ok' });
  t.true(dev.peers.size === 2, 'alice untouched');
});

test('rotate-client: a device that refuses keeps the old keys in the store; an unreachable one defers', async (t) => {
  const { svc, dev, store } = setup(t);
  const a = (await svc.add('alice')).client;
  dev.rejectNext = true;
  await t.throwsAsync(rotateClientKeys(svc, 'alice'));
  t.is(svc.get('alice').publicKey, a.publicKey, 'store restored');
  t.like(listRotations(store)[0], { kind: 'client', outcome: 'failed' });
  dev.reachable = false;
  const r = await rotateClientKeys(svc, 'alice');
  t.is(r.applied, 'deferred');
  t.regex(r.warning!, /next "privroute init"/);
  t.is(svc.get('alice').publicKey, r.publicKey);
});

test('key lifetime: a client is due once its keys outlive it; rotation resets the age', async (t) => {
  const { svc } = setup(t);
  await svc.add('alice');
  t.false(keyDue(keyAges(svc).get('alice'), new Date()), 'no lifetime: never due');
  setKeyLifetime(svc, 'alice', 3600);
  const age = keyAges(svc).get('alice')!;
  t.false(keyDue(age, new Date(Date.parse(age.keysAt) + 3599_000)));
  t.true(keyDue(age, new Date(Date.parse(age.keysAt) + 3600_000)));
  await rotateClientKeys(svc, 'alice', () => new Date(Date.parse(age.keysAt) + 7200_000));
  const after = keyAges(svc).get('alice')!;
  t.is(after.keysAt, new Date(Date.parse(age.keysAt) + 7200_000).toISOString());
  t.is(after.lifetimeS, 3600, 'the lifetime is kept');
});
