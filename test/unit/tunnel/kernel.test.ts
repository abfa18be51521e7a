import test from 'ava';
import { readFileSync } from 'node:fs';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { KernelBackend } from '../../../src/tunnel/device/kernel.js';
import { DeviceUnreachableError, diffPeers, type PeerSpec } from '../../../src/tunnel/device/model.js';

const DUMP = readFileSync(new URL('../../fixtures/uapi/wg-show-dump-two-peers.txt', import.meta.url), 'utf8');
const PK = 'mGv9b0hi1tc9+gRF4rv+dgUDD+aBtIKLszB8LgAB6AY=';
const OTHER = 'To89Rg8M8EmYoWACKmz3wQy1hP97yp/ZEMQG3+7jqF8=';
const PSK = 'WEL6GUWoJpvQ59gWX58ud6ITjEzfEVUSAeGkG1CD4d0=';
const PRIV = '2EQ4pJrpmvWfCsqSeB+jVEfqAgnndit5K25cy3kKJVo=';

test('get parses `wg show <if> dump` run through the HostExec', async (t) => {
  const fake = new FakeHostExec({ target: 'pct:100' }).on(['wg', 'show', 'wg0', 'dump'], () => DUMP);
  const d = await new KernelBackend(fake, 'wg0').get();
  t.is(d.listenPort, 51999);
  t.is(d.peers.length, 2);
  fake.assertDone();
});

/** A fake target that checks each key file: 0600, holding the secret, removed after use. */
function keyFileFake(t: import('ava').ExecutionContext, secret: string) {
  const fake = new FakeHostExec().on(['rm', '-f', /.+/], ({ captures: [f], fake }) => void fake.files.delete(f!), { times: 'any' });
  const seen: string[] = [];
  const check = (file: string) => {
    const f = fake.files.get(file);
    t.truthy(f, 'key file exists while wg runs');
    t.is(f!.mode, 0o600);
    t.is(f!.content.toString(), secret + '\n');
    t.regex(file, /^\/run\/\.privroute-wg-[0-9a-f]{16}\.key$/);
    seen.push(file);
  };
  return { fake, check, seen };
}

test('setPeer: PSK via a 0600 file removed afterwards, never in argv; allowed-ips replaced; no PSK -> /dev/null', async (t) => {
  const { fake, check, seen } = keyFileFake(t, PSK);
  fake
    .on(['wg', 'set', 'wg0', 'peer', PK, 'preshared-key', /\/run\/.+/, 'persistent-keepalive', '0', 'allowed-ips', '10.8.0.2/32,fd00::2/128'], ({ captures: [f] }) => check(f!))
    .on(['wg', 'set', 'wg0', 'peer', OTHER, 'preshared-key', '/dev/null', 'persistent-keepalive', '25', 'allowed-ips', '10.8.0.3/32']);
  const b = new KernelBackend(fake, 'wg0');
  await b.setPeer({ publicKey: PK, presharedKey: PSK, allowedIps: ['10.8.0.2/32', 'fd00::2/128'] });
  await b.setPeer({ publicKey: OTHER, allowedIps: ['10.8.0.3/32'], persistentKeepalive: 25 });
  fake.assertDone();
  t.is(seen.length, 1);
  t.is(fake.files.size, 0, 'key file removed');
  t.false(JSON.stringify(fake.runs()).includes(PSK));
});

test('the key file is removed even when wg fails', async (t) => {
  const { fake } = keyFileFake(t, PSK);
  fake.on(['wg', 'set', 'wg0', 'peer', PK, 'preshared-key', /.+/, REST], () => ({ code: 1, stderr: 'Invalid length key in key file\n' }));
  await t.throwsAsync(new KernelBackend(fake, 'wg0').setPeer({ publicKey: PK, presharedKey: PSK, allowedIps: [] }));
  t.is(fake.files.size, 0);
});

test('setPrivateKey: key via a 0600 file only', async (t) => {
  const { fake, check } = keyFileFake(t, PRIV);
  fake.on(['wg', 'set', 'wg0', 'private-key', /\/run\/.+/], ({ captures: [f] }) => check(f!));
  await new KernelBackend(fake, 'wg0').setPrivateKey(PRIV);
  fake.assertDone();
  t.false(JSON.stringify(fake.runs()).includes(PRIV));
  t.is(fake.files.size, 0);
});

test('peer diff applied over wg: adds before removes, removals batched, second run does nothing', async (t) => {
  // Stateful fake: the device's peer set.
  const peers = new Map<string, string>([[OTHER, '10.8.0.3/32']]);
  const dump = () => `${PRIV}\tFvPpqIJeo5FWE1q4pvHUa5gG+vofyIaxQAJFn2UdEjY=\t51820\toff\n` + [...peers].map(([k, ips]) => `${k}\t(none)\t(none)\t${ips}\t0\t0\t0\toff\n`).join('');
  const order: string[] = [];
  const fake = new FakeHostExec()
    .on(['wg', 'show', 'wg0', 'dump'], () => dump(), { times: 'any' })
    .on(['rm', '-f', /.+/], () => undefined, { times: 'any' })
    .on(['wg', 'set', 'wg0', 'peer', /.+/, 'preshared-key', REST], ({ captures }) => {
      order.push('add');
      peers.set(captures[0]!, captures.at(-1)!);
    }, { times: 'any' })
    .on(['wg', 'set', 'wg0', REST], ({ argv }) => {
      order.push('remove');
      for (let i = 3; i < argv.length; i += 3) {
        t.is(argv[i + 2], 'remove');
        peers.delete(argv[i + 1]!);
      }
    }, { times: 'any' });
  const b = new KernelBackend(fake, 'wg0');
  const syncPeers = async (backend: KernelBackend, desired: PeerSpec[]) => {
    const c = diffPeers(desired, (await backend.get()).peers);
    if (c.upsert.length || c.remove.length) await backend.applyChanges(c);
    return { added: c.upsert.map((p) => p.publicKey), removed: c.remove, updated: c.updatedKeys };
  };
  const r = await syncPeers(b, [{ publicKey: PK, allowedIps: ['10.8.0.2/32'] }]);
  t.deepEqual(r.added, [PK]);
  t.deepEqual(r.removed, [OTHER]);
  t.deepEqual(order, ['add', 'remove']);
  t.deepEqual([...peers.keys()], [PK]);
  const n = fake.runs().length;
  const r2 = await syncPeers(b, [{ publicKey: PK, allowedIps: ['10.8.0.2/32'] }]);
  t.deepEqual([r2.added, r2.removed, r2.updated], [[], [], []]);
  t.is(fake.runs().length, n + 1, 'only the dump ran');
});

test('a missing interface maps to DeviceUnreachableError; a key-file error does not', async (t) => {
  const fake = new FakeHostExec().on(['wg', 'show', 'wg0', 'dump'], () => ({ code: 1, stderr: 'Unable to access interface: No such device\n' }));
  await t.throwsAsync(new KernelBackend(fake, 'wg0').get(), { instanceOf: DeviceUnreachableError });
  const f2 = new FakeHostExec().on(['wg', 'set', 'wg0', 'private-key', /.+/], () => ({ code: 1, stderr: 'fopen: No such device or address\n' })).on(['rm', '-f', /.+/]);
  const e = await t.throwsAsync(new KernelBackend(f2, 'wg0').setPrivateKey(PRIV));
  t.false(e instanceof DeviceUnreachableError);
});

test('interface names are checked (no option injection)', (t) => {
  t.throws(() => new KernelBackend(new FakeHostExec(), '-h'));
  t.throws(() => new KernelBackend(new FakeHostExec(), 'a b'));
});
