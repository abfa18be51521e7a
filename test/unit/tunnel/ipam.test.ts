import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../../src/core/errors.js';
import { StateStore } from '../../../src/state/store.js';
import { MIGRATIONS } from '../../../src/state/migrations.js';
import { addressSpace, allocate, gatewayAddresses, host6, IpamExhaustedError } from '../../../src/tunnel/ipam.js';
import { deleteClient, insertClient, type ClientRecord } from '../../../src/tunnel/client-repo.js';

function tmpStore(t: { teardown(fn: () => void): void }): StateStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-ipam-'));
  const s = StateStore.open(dir, { create: true });
  t.teardown(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

let seq = 0;
function add(s: StateStore, space: ReturnType<typeof addressSpace>, name: string): ClientRecord {
  return s.tx(() => {
    const a = allocate(s.db, space);
    const k = Buffer.alloc(32, 0);
    k.writeUInt32BE(++seq);
    const rec: ClientRecord = {
      name, address4: a.address4, address6: a.address6, hostIndex: a.host, publicKey: k.toString('base64'),
      privateKey: 'p', presharedKey: 'q', dns: null, createdAt: new Date().toISOString(), expiresAt: null, enabled: true,
    };
    insertClient(s.db, rec);
    return rec;
  });
}

test('addressSpace: gateway is the first host, sizes, misaligned input is normalized', (t) => {
  const s = addressSpace('10.8.0.77/24');
  t.is(s.capacity, 253);
  t.deepEqual(gatewayAddresses(s), { ip4: '10.8.0.1', ip6: null, cidr4: '10.8.0.1/24', cidr6: null });
  const d = addressSpace('10.8.0.0/29', 'fd00:8::/64');
  t.is(d.capacity, 5);
  t.is(gatewayAddresses(d).cidr6, 'fd00:8::1/64');
  t.is(host6(d, 6), 'fd00:8::6');
});

test('addressSpace: bad subnets are InputErrors naming the key', (t) => {
  t.throws(() => addressSpace('10.8.0.0/31'), { instanceOf: InputError, message: /wireguard\.subnet/ });
  t.throws(() => addressSpace('10.8.0.0'), { instanceOf: InputError, message: /wireguard\.subnet/ });
  t.throws(() => addressSpace('10.8.0.0/24', '10.0.0.0/8'), { instanceOf: InputError, message: /subnet6/ });
});

test('allocation: sequential from .2, skips network/broadcast, exhaustion names subnet and size', (t) => {
  const s = tmpStore(t);
  const sp = addressSpace('10.9.0.0/29', 'fd00:9::/120');
  const got = ['a', 'b', 'c', 'd', 'e'].map((n) => add(s, sp, n));
  t.deepEqual(got.map((c) => c.address4), ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  t.deepEqual(got.map((c) => c.address6), ['fd00:9::2', 'fd00:9::3', 'fd00:9::4', 'fd00:9::5', 'fd00:9::6']);
  const e = t.throws(() => add(s, sp, 'f'), { instanceOf: IpamExhaustedError });
  t.regex(e!.message, /10\.9\.0\.0\/29/);
  t.regex(e!.message, /all 5 client addresses/);
  t.regex(e!.message, /subnet size 8/);
  t.is((s.db.prepare('SELECT COUNT(*) AS c FROM clients').get() as { c: number }).c, 5, 'nothing inserted on exhaustion');
});

test('allocation: reuse after revoke takes the lowest free address (start, middle)', (t) => {
  const s = tmpStore(t);
  const sp = addressSpace('10.9.0.0/24');
  for (const n of ['a', 'b', 'c', 'd', 'e']) add(s, sp, n);
  s.tx(() => deleteClient(s.db, 'c'));
  s.tx(() => deleteClient(s.db, 'a'));
  t.is(add(s, sp, 'f').address4, '10.9.0.2');
  t.is(add(s, sp, 'g').address4, '10.9.0.4');
  t.is(add(s, sp, 'h').address4, '10.9.0.7');
});

test('allocation stays correct across 2,000 clients with random revokes', (t) => {
  const s = tmpStore(t);
  const sp = addressSpace('10.10.0.0/16');
  for (let i = 0; i < 2000; i++) add(s, sp, `c${i}`);
  const freed = [1999, 17, 1000, 3].map((i) => `c${i}`);
  for (const n of freed) s.tx(() => deleteClient(s.db, n));
  // Lowest free first: hosts of c3 (5), c17 (19), c1000 (1002), c1999 (2001), then 2002.
  const next = [0, 1, 2, 3, 4].map((i) => add(s, sp, `n${i}`).hostIndex);
  t.deepEqual(next, [5, 19, 1002, 2001, 2002]);
});

test('migration 3 backfills the free list from gaps in an older store', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pr-ipam-mig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = StateStore.open(dir, { create: true, migrations: MIGRATIONS.filter((m) => m.version <= 2) });
  old.tx(() => {
    for (const h of [2, 3, 5, 8]) {
      old.db.prepare("INSERT INTO clients(name, address4, host_index, public_key, private_key, preshared_key, created_at) VALUES(?, ?, ?, ?, 'p', 'q', '')").run(`h${h}`, `10.9.0.${h}`, h, `k${h}`);
    }
  });
  old.close();
  const s = StateStore.open(dir);
  t.teardown(() => s.close());
  const sp = addressSpace('10.9.0.0/24');
  t.deepEqual([0, 1, 2, 3].map(() => s.tx(() => { const a = allocate(s.db, sp); s.db.prepare("INSERT INTO clients(name, address4, host_index, public_key, private_key, preshared_key, created_at) VALUES(?, ?, ?, ?, 'p', 'q', '')").run(`n${a.host}`, a.address4, a.host, `kn${a.host}`); return a.host; })), [4, 6, 7, 9]);
});
