import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { checkOut } from '../../../src/cli/client-support.js';
import { clientTable } from '../../../src/cli/commands/list-clients.js';

test('--out: .png/.conf in an existing directory only (checked before anything is stored)', (t) => {
  t.like(checkOut('/tmp/a.png'), { file: '/tmp/a.png', kind: 'png' });
  t.like(checkOut('/tmp/a.CONF'), { kind: 'conf' });
  t.is(checkOut(undefined), null);
  for (const bad of ['/tmp/a.txt', '/tmp/a', '/no/such/dir/a.png']) t.throws(() => checkOut(bad), { instanceOf: InputError, message: /--out/ });
});

test('list-clients table: live columns, states, unknown when the device is unreachable', (t) => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  const base = { address6: null, publicKey: 'k', createdAt: '2026-01-01T00:00:00Z', expiresAt: null, enabled: true, expired: false };
  const s = clientTable([
    { ...base, name: 'alice', address4: '10.8.0.2', live: true, lastHandshake: '2026-01-10T11:59:30Z', rxBytes: 2048, txBytes: 10 },
    { ...base, name: 'bob', address4: '10.8.0.3', enabled: false, live: false, lastHandshake: null, rxBytes: null, txBytes: null },
    { ...base, name: 'carol', address4: '10.8.0.4', expiresAt: '2026-01-09T00:00:00Z', expired: true, live: null, lastHandshake: null, rxBytes: null, txBytes: null },
  ], now);
  const lines = s.split('\n');
  t.regex(lines[0]!, /^NAME\s+ADDRESS\s+CREATED\s+EXPIRES\s+STATE\s+HANDSHAKE\s+RX\s+TX$/);
  t.regex(lines[1]!, /^alice\s+10\.8\.0\.2\s+2026-01-01\s+-\s+enabled\s+30s ago\s+2\.0 KiB\s+10 B$/);
  t.regex(lines[2]!, /^bob .*disabled\s+never\s+-\s+-$/);
  t.regex(lines[3]!, /^carol .*2026-01-09 00:00\s+expired\s+\?/);
});
