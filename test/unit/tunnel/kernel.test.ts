import test from 'ava';
import { readFileSync } from 'node:fs';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { KernelBackend } from '../../../src/tunnel/device/kernel.js';
import { DeviceUnreachableError, syncPeers } from '../../../src/tunnel/device/model.js';

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

test('setPeer: PSK only on stdin, never in argv; allowed-ips replaced; no PSK -> /dev/null', async (t) => {
  const fake = new FakeHostExec()
    .on(['wg', 'set', 'wg0', 'peer', PK, 'preshared-key', '/dev/stdin', 'persistent-keepalive', '0', 'allowed-ips', '10.8.0.2/32,fd00::2/128'], ({ stdin }) => {
      t.is(stdin?.toString(), PSK + '\n');
    })
    .on(['wg', 'set', 'wg0', 'peer', OTHER, 'preshared-key', '/dev/null', 'persistent-keepalive', '25', 'allowed-ips', '10.8.0.3/32']);
  const b = new KernelBackend(fake, 'wg0');
  await b.setPeer({ publicKey: PK, presharedKey: PSK, allowedIps: ['10.8.0.2/32', 'fd00::2/128'] });
  await b.setPeer({ publicKey: OTHER, allowedIps: ['10.8.0.3/32'], persistentKeepalive: 25 });
  fake.assertDone();
  for (const argv of fake.runs()) t.false(argv.includes(PSK));
});

test('setPrivateKey: key on stdin only', async (t) => {
  const fake = new FakeHostExec().on(['wg', 'set', 'wg0', 'private-key', '/dev/stdin'], ({ stdin }) => void t.is(stdin?.toString(), PRIV + '\n'));
  await new KernelBackend(fake, 'wg0').setPrivateKey(PRIV);
  fake.assertDone();
  t.false(JSON.stringify(fake.runs()).includes(PRIV));
});

test('syncPeers over wg: adds before removes, removals batched, second run does nothing', async (t) => {
  // Stateful fake: the device's peer set.
  const peers = new Map<string, string>([[OTHER, '10.8.0.3/32']]);
  const dump = () => `${PRIV}\tFvPpqIJeo5FWE1q4pvHUa5gG+vofyIaxQAJFn2UdEjY=\t51820\toff\n` + [...peers].map(([k, ips]) => `${k}\t(none)\t(none)\t${ips}\t0\t0\t0\toff\n`).join('');
  const order: string[] = [];
  const fake = new FakeHostExec()
    .on(['wg', 'show', 'wg0', 'dump'], () => dump(), { times: 'any' })
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

test('a missing interface maps to DeviceUnreachableError', async (t) => {
  const fake = new FakeHostExec().on(['wg', 'show', 'wg0', 'dump'], () => ({ code: 1, stderr: 'Unable to access interface: No such device\n' }));
  await t.throwsAsync(new KernelBackend(fake, 'wg0').get(), { instanceOf: DeviceUnreachableError });
});

test('interface names are checked (no option injection)', (t) => {
  t.throws(() => new KernelBackend(new FakeHostExec(), '-h'));
  t.throws(() => new KernelBackend(new FakeHostExec(), 'a b'));
});
