import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { ClientService, ensureGatewayKeys, GATEWAY_KEY_SECRET } from '../../../src/tunnel/clients.js';
import { parseWgQuick } from '../../../src/tunnel/render.js';
import { publicKeyOf } from '../../../src/tunnel/keys.js';
import { FakeBackend } from './_fake-backend.js';
import { seedConfig, tmpStore } from './_helpers.js';
import { syncGatewayPeers } from '../../../src/tunnel/components.js';
import { oldEndpoint } from '../../../src/cli/commands/list-clients.js';

function setup(t: Parameters<typeof tmpStore>[0], wg: Record<string, unknown> = {}, now = () => new Date('2026-01-10T12:00:00Z')) {
  const store = tmpStore(t);
  const dev = new FakeBackend();
  const svc = new ClientService(store, seedConfig(wg), dev, { now });
  return { store, dev, svc };
}
const count = (svc: ClientService) => (svc.store.db.prepare('SELECT COUNT(*) AS c FROM clients').get() as { c: number }).c;

test('add: stores, applies exactly one peer in one request, renders a config for the gateway key', async (t) => {
  const { svc, dev, store } = setup(t, { subnet6: 'fd00:8::/64', persistent_keepalive: 25 });
  await svc.add('alice');
  dev.requests.length = 0;
  const r = await svc.add('bob');
  t.is(r.applied, 'applied');
  t.deepEqual(dev.mutations(), [[`+${r.client.publicKey}`]], 'one request naming only the new peer');
  t.deepEqual(dev.peers.get(r.client.publicKey)!.allowedIps, ['10.8.0.3/32', 'fd00:8::3/128']);
  const cfg = parseWgQuick(r.configText);
  t.is(cfg.iface.Address, '10.8.0.3/32, fd00:8::3/128');
  t.is(cfg.iface.DNS, '10.8.0.1', 'default DNS is the gateway (served through the chain)');
  t.is(cfg.iface.MTU, '1420');
  t.is(cfg.peers[0]!.PublicKey, publicKeyOf(store.getSecret(GATEWAY_KEY_SECRET)!));
  t.is(cfg.peers[0]!.PresharedKey, r.client.presharedKey);
  t.is(cfg.peers[0]!.Endpoint, 'vpn.example.com:51820');
  t.is(cfg.peers[0]!.PersistentKeepalive, '25');
  t.is(publicKeyOf(cfg.iface.PrivateKey!), r.client.publicKey);
});

test('add: config DNS and per-client --dns', async (t) => {
  const { svc } = setup(t, { dns: ['9.9.9.9'] });
  t.is(parseWgQuick((await svc.add('a')).configText).iface.DNS, '9.9.9.9');
  t.is(parseWgQuick((await svc.add('b', { dns: '1.1.1.1,1.0.0.1' })).configText).iface.DNS, '1.1.1.1, 1.0.0.1');
  t.is(parseWgQuick(await svc.configOf(svc.get('b'))).iface.DNS, '1.1.1.1, 1.0.0.1', 'kept in the store');
});

test('add: bad input changes nothing (name, duplicate, expiry, dns, missing endpoint)', async (t) => {
  const { svc, dev } = setup(t);
  await svc.add('alice');
  const before = dev.mutations().length;
  for (const [name, opts] of [
    ['Alice', {}], ['a;b', {}], ['alice', {}], ['bob', { expires: 'yesterday' }], ['bob', { dns: '8.8.8' }],
  ] as const) {
    const e = await t.throwsAsync(svc.add(name, opts), { instanceOf: InputError });
    t.is(e!.exitCode, 2);
  }
  t.is(count(svc), 1);
  t.is(dev.mutations().length, before);
  const { svc: noEp } = setup(t, { endpoint: null });
  await t.throwsAsync(noEp.add('x'), { instanceOf: InputError, message: /wireguard\.endpoint/ });
  t.is(count(noEp), 0);
});

test('add with the interface unreachable: stored, config printed, deferred with a warning', async (t) => {
  const { svc, dev } = setup(t);
  dev.reachable = false;
  const r = await svc.add('alice');
  t.is(r.applied, 'deferred');
  t.regex(r.warning!, /privroute init/);
  t.is(count(svc), 1);
  t.truthy(r.configText);
});

test('add: a device that rejects the peer rolls the row back (nothing half-applied)', async (t) => {
  const { svc, dev } = setup(t);
  dev.rejectNext = true;
  await t.throwsAsync(svc.add('alice'), { message: /errno=-22/ });
  t.is(count(svc), 0);
  t.is((await svc.add('alice')).client.address4, '10.8.0.2', 'the address was not leaked');
});

test('revoke removes only that peer and frees the address for reuse', async (t) => {
  const { svc, dev } = setup(t);
  const a = await svc.add('a');
  const b = await svc.add('b');
  const c = await svc.add('c');
  dev.requests.length = 0;
  t.is((await svc.revoke('b')).applied, 'applied');
  t.deepEqual(dev.mutations(), [[`-${b.client.publicKey}`]]);
  t.deepEqual([...dev.peers.keys()].sort(), [a.client.publicKey, c.client.publicKey].sort());
  t.is((await svc.add('d')).client.address4, b.client.address4);
  await t.throwsAsync(svc.revoke('b'), { instanceOf: InputError });
});

test('disable keeps the row and address; enable adds the peer back', async (t) => {
  const { svc, dev } = setup(t);
  const a = await svc.add('a');
  await svc.disable('a');
  t.false(dev.peers.has(a.client.publicKey));
  t.false(svc.get('a').enabled);
  t.is(svc.get('a').address4, a.client.address4);
  await svc.enable('a');
  t.true(dev.peers.has(a.client.publicKey));
  t.true(svc.get('a').enabled);
  t.deepEqual(svc.desiredPeers().map((p) => p.publicKey), [a.client.publicKey]);
});

test('expire removes only expired peers; list shows live handshake/counters', async (t) => {
  let now = new Date('2026-01-10T12:00:00Z');
  const { svc, dev } = setup(t, {}, () => now);
  const a = await svc.add('a', { expires: '1d' });
  const b = await svc.add('b');
  dev.peers.get(b.client.publicKey)!.rxBytes = 4242;
  dev.peers.get(b.client.publicKey)!.lastHandshake = new Date('2026-01-10T11:59:00Z');
  t.deepEqual((await svc.expire()).removed, []);
  now = new Date('2026-01-12T00:00:00Z');
  dev.requests.length = 0;
  t.deepEqual((await svc.expire()).removed, ['a']);
  t.deepEqual(dev.mutations(), [[`-${a.client.publicKey}`]]);
  t.true(dev.peers.has(b.client.publicKey));
  t.deepEqual((await svc.expire()).removed, [], 'second sweep: nothing');
  const l = await svc.list();
  t.is(l.device, 'reachable');
  const [va, vb] = l.clients;
  t.true(va!.expired);
  t.false(va!.live!);
  t.is(vb!.rxBytes, 4242);
  t.is(vb!.lastHandshake, '2026-01-10T11:59:00.000Z');
  t.false(JSON.stringify(l).includes(b.client.privateKey), 'no secrets in list output');
  t.false(JSON.stringify(l).includes(b.client.presharedKey));
});

test('gateway-peers sync: restores a wiped device, removes strangers, second run changes nothing', async (t) => {
  const { svc, dev, store } = setup(t);
  const a = await svc.add('a');
  const b = await svc.add('b');
  await svc.disable('b');
  // Device restarted empty (new wireguard-go) plus a stranger peer.
  dev.peers.clear();
  dev.privateKey = null;
  const stranger = Buffer.alloc(32, 7).toString('base64');
  dev.peers.set(stranger, { publicKey: stranger, allowedIps: [], rxBytes: 0, txBytes: 0 });
  const r1 = await syncGatewayPeers(svc, dev);
  t.true(r1.privateKeySet);
  t.true(r1.listenPortSet);
  t.deepEqual(r1.added, [a.client.publicKey]);
  t.deepEqual(r1.removed, [stranger]);
  t.deepEqual([...dev.peers.keys()], [a.client.publicKey]);
  t.is(dev.privateKey as string | null, store.getSecret(GATEWAY_KEY_SECRET) ?? null);
  t.false(dev.peers.has(b.client.publicKey), 'disabled client stays off');
  dev.requests.length = 0;
  const r2 = await syncGatewayPeers(svc, dev);
  t.deepEqual([r2.added, r2.updated, r2.removed, r2.privateKeySet, r2.listenPortSet], [[], [], [], false, false]);
  t.deepEqual(dev.mutations(), [], 'converged: no mutation at all');
});

test('gateway keys: generated once and kept', async (t) => {
  const store = tmpStore(t);
  const [k1, k2] = await Promise.all([ensureGatewayKeys(store), ensureGatewayKeys(store)]);
  t.is(k1.privateKey, k2.privateKey);
  t.is((await ensureGatewayKeys(store)).publicKey, k1.publicKey);
});

test('runner components: gateway-peers converges and then reports unchanged', async (t) => {
  const { runComponents } = await import('../../../src/core/runner.js');
  const { gatewayPeersComponent } = await import('../../../src/tunnel/components.js');
  const { svc, dev } = setup(t);
  dev.reachable = false;
  await svc.add('a');
  await svc.add('b');
  dev.reachable = true;
  const c = gatewayPeersComponent(svc, dev, []);
  const [r1] = await runComponents([c]);
  t.is(r1!.status, 'changed');
  t.true(r1!.changes.some((x) => /peers: \+2/.test(x)));
  t.is(dev.peers.size, 2);
  const [plan] = await runComponents([c], { planOnly: true });
  t.is(plan!.status, 'unchanged');
  const [r2] = await runComponents([c]);
  t.is(r2!.status, 'unchanged');
});

test('add with wireguard disabled in config: InputError, nothing stored', async (t) => {
  const { svc } = setup(t, { enabled: false });
  await t.throwsAsync(svc.add('a'), { instanceOf: InputError, message: /wireguard\.enabled/ });
  t.is(count(svc), 0);
});

test('endpoint auto: configs carry the endpoint in force; each client records the one it was handed; a change shows who holds an old one', async (t) => {
  const store = tmpStore(t);
  let uplinkAddr = '203.0.113.7';
  const svc = new ClientService(store, seedConfig({ endpoint: 'auto', uplink: 'vmbr0' }), new FakeBackend(), { endpoint: async () => `${uplinkAddr}:51820` });
  const a = await svc.add('alice');
  t.is(parseWgQuick(a.configText).peers[0]!.Endpoint, '203.0.113.7:51820');
  uplinkAddr = '198.51.100.9';
  await svc.add('bob');
  const held = Object.fromEntries((await svc.list()).clients.map((c) => [c.name, c.endpoint]));
  t.deepEqual(held, { alice: '203.0.113.7:51820', bob: '198.51.100.9:51820' });
  t.true(oldEndpoint(held.alice, await svc.endpoint()));
  t.false(oldEndpoint(held.bob, await svc.endpoint()));
  // show-client re-renders alice with the endpoint in force, and she no longer holds an old one.
  t.is(parseWgQuick(await svc.configOf(svc.get('alice'))).peers[0]!.Endpoint, '198.51.100.9:51820');
  t.is((await svc.list()).clients.find((c) => c.name === 'alice')!.endpoint, '198.51.100.9:51820');
  t.false(oldEndpoint(null, '198.51.100.9:51820'), 'never recorded: not flagged');
});
