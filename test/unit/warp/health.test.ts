import test from 'ava';
import { FakeHostExec } from '../../../src/host/fake.js';
import { handshakeHealth, parseTrace, traceHealth } from '../../../src/warp/health.js';
import { generateKeyPair } from '../../../src/warp/keys.js';
import { FakeWg } from './_fake-node.js';

function wgWith(lastHandshakeSec: number | null): FakeWg {
  const wg = new FakeWg();
  if (lastHandshakeSec !== null) {
    wg.dev = { privateKey: null, publicKey: null, listenPort: 0, peers: [{ publicKey: generateKeyPair().publicKey, allowedIps: ['0.0.0.0/0'], lastHandshake: lastHandshakeSec ? new Date(lastHandshakeSec * 1000) : null, rxBytes: 0, txBytes: 0, persistentKeepalive: 25 }] };
  }
  return wg;
}

test('handshake age: fresh ok, stale not, never and no tunnel not', async (t) => {
  const fresh = await handshakeHealth(wgWith(1000), { nowSec: 1030 });
  t.true(fresh.ok);
  t.is(fresh.ageSec, 30);
  const stale = await handshakeHealth(wgWith(1000), { nowSec: 1400 });
  t.false(stale.ok);
  t.regex(stale.detail, /400 s ago \(stale/);
  const never = await handshakeHealth(wgWith(0));
  t.false(never.ok);
  t.regex(never.detail, /no handshake/);
  const down = await handshakeHealth(wgWith(null));
  t.false(down.ok);
  t.regex(down.detail, /tunnel is down/);
});

test('trace probe: curl bound to the tunnel; warp=on/plus ok, warp=off not', async (t) => {
  const on = new FakeHostExec().on(['curl', '-sS', '--max-time', '5', '--interface', 'wgwarp', 'http://t/cdn-cgi/trace'], () => 'ip=198.18.1.2\nwarp=on\n');
  const r = await traceHealth(on, { tunnel: 'wgwarp', url: 'http://t/cdn-cgi/trace' });
  t.true(r.ok);
  t.is(r.ip, '198.18.1.2');
  const plus = new FakeHostExec().on(['curl', /.*/, /.*/, /.*/, /.*/, /.*/, /.*/], () => 'warp=plus\n');
  t.true((await traceHealth(plus, { tunnel: 'wgwarp' })).ok);
  const off = new FakeHostExec().on(['curl', /.*/, /.*/, /.*/, /.*/, /.*/, /.*/], () => 'ip=1.2.3.4\nwarp=off\n');
  const ro = await traceHealth(off, { tunnel: 'wgwarp' });
  t.false(ro.ok);
  t.regex(ro.detail, /warp=off from 1\.2\.3\.4/);
  const fail = new FakeHostExec().on(['curl', /.*/, /.*/, /.*/, /.*/, /.*/, /.*/], () => ({ code: 28, stderr: 'curl: (28) Connection timed out' }));
  const rf = await traceHealth(fail, { tunnel: 'wgwarp' });
  t.false(rf.ok);
  t.regex(rf.detail, /trace probe through wgwarp failed/);
});

test('parseTrace reads key=value lines', (t) => {
  t.deepEqual(parseTrace('fl=1\nip=1.2.3.4\nwarp=on\n\n'), { fl: '1', ip: '1.2.3.4', warp: 'on' });
});
