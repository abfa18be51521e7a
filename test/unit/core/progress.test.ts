import test from 'ava';
import { formatDuration, progress } from '../../../src/core/progress.js';
import { MemoryStream } from './_mem.js';

/** A fake clock advancing by `stepMs` on every read, so durations are deterministic. */
function clock(stepMs: number) {
  let t = 0;
  return () => (t += stepMs);
}

test('off a TTY: one plain line per step with outcome, duration and detail', async (t) => {
  const out = new MemoryStream();
  const p = progress(out, { tty: false, now: clock(250) });
  t.is(await p.step('ovs: bridge', async () => 'created'), 'created');
  await p.step('ovs: ports', () => 'unchanged');
  p.skip('mesh: netmaker', 'netmaker.enabled is false');
  await t.throwsAsync(p.step('warp: register', async () => {
    throw new Error('HTTP 429 from api\nretry later');
  }), { message: /HTTP 429/ });
  t.is(
    out.text,
    [
      'ok   ovs: bridge (250ms) created',
      'ok   ovs: ports (250ms) unchanged',
      'skip mesh: netmaker: netmaker.enabled is false',
      'FAIL warp: register (250ms): HTTP 429 from api',
      '',
    ].join('\n'),
  );
  t.deepEqual(p.summary(), { ok: 2, failed: 1, skipped: 1 });
});

test('on a TTY: a running line rewritten in place with ✓/✗/-', async (t) => {
  const out = new MemoryStream();
  const p = progress(out, { tty: true, color: false, now: clock(1500) });
  await p.step('xray: render', () => undefined);
  await p.step('xray: restart', () => ({ status: 'skip' as const, detail: 'config unchanged' }));
  await t.throwsAsync(p.step('vps: ssh', () => {
    throw new Error('host key changed');
  }));
  t.is(
    out.text,
    '… xray: render\r\x1b[K✓ xray: render  1.5s\n' +
      '… xray: restart\r\x1b[K- xray: restart  config unchanged\n' +
      '… vps: ssh\r\x1b[K✗ vps: ssh  1.5s  host key changed\n',
  );
});

test('json mode prints nothing and keeps records', async (t) => {
  const out = new MemoryStream();
  const p = progress(out, { json: true, tty: true, now: clock(10) });
  await p.step('a', () => 'created');
  p.skip('b', 'disabled');
  t.is(out.text, '');
  t.deepEqual(p.records, [
    { name: 'a', status: 'ok', ms: 10, detail: 'created' },
    { name: 'b', status: 'skip', ms: 0, detail: 'disabled' },
  ]);
});

test('details are scrubbed of key- and UUID-shaped text', async (t) => {
  const out = new MemoryStream();
  const p = progress(out, { tty: false, now: clock(1) });
  await p.step('wg: peer', () => 'added yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk= for 0a1b2c3d-1111-2222-3333-444455556666');
  t.notRegex(out.text, /yAnz5TF|0a1b2c3d/);
  t.regex(out.text, /<redacted-key>.*<redacted-uuid>/);
});

test('formatDuration', (t) => {
  t.is(formatDuration(12.4), '12ms');
  t.is(formatDuration(1440), '1.4s');
  t.is(formatDuration(125_000), '2m05s');
});
