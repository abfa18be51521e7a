/**
 * OvsdbClient against a stand-in JSON-RPC server (a scripted peer, not ovsdb-server):
 * answers the server's echo, routes monitor updates, maps op errors to TransactError,
 * and copes with replies split and concatenated arbitrarily.
 */
import test from 'ava';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { OvsdbClient, TransactError } from '../../../src/ovs/ovsdb/rpc.js';

/** Wait (up to 5 s) until `cond` holds; the machine may be loaded, so no fixed sleeps. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function peer(handler: (msg: Record<string, unknown>, send: (v: unknown) => void) => void): Promise<{ endpoint: string; seen: Record<string, unknown>[]; close(): void }> {
  const p = path.join(tmpdir(), `privroute-ovsdb-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  rmSync(p, { force: true });
  const seen: Record<string, unknown>[] = [];
  const socks: net.Socket[] = [];
  const server = net.createServer((s) => {
    socks.push(s);
    let buf = '';
    // Send each reply in two writes split mid-token to exercise the streaming parser.
    let chain = Promise.resolve();
    const send = (v: unknown): void => {
      const t = JSON.stringify(v);
      chain = chain.then(async () => {
        s.write(t.slice(0, 5));
        await new Promise((r) => setTimeout(r, 2));
        s.write(t.slice(5));
      });
    };
    s.on('data', (d) => {
      buf += d.toString();
      // The client sends one JSON object per write; good enough for this scripted peer.
      for (;;) {
        let depth = 0, end = -1, inStr = false, esc = false;
        for (let i = 0; i < buf.length; i++) {
          const c = buf[i];
          if (inStr) { if (esc) esc = false; else if (c === '\\') esc = true; else if (c === '"') inStr = false; continue; }
          if (c === '"') inStr = true; else if (c === '{') depth++; else if (c === '}' && --depth === 0) { end = i; break; }
        }
        if (end < 0) break;
        const m = JSON.parse(buf.slice(0, end + 1));
        buf = buf.slice(end + 1);
        seen.push(m);
        handler(m, send);
      }
    });
  });
  await new Promise<void>((r) => server.listen(p, r));
  server.unref();
  return { endpoint: `unix:${p}`, seen, close: () => { socks.forEach((s) => s.destroy()); server.close(); } };
}

test('answers the server echo with the same id and params', async (t) => {
  let sendRef: ((v: unknown) => void) | undefined;
  const srv = await peer((m, send) => {
    sendRef = send;
    if (m.method === 'list_dbs') send({ id: m.id, result: ['Open_vSwitch'], error: null });
  });
  const c = await OvsdbClient.connect(srv.endpoint);
  t.teardown(() => { srv.close(); void c.close(); });
  t.deepEqual(await c.listDbs(), ['Open_vSwitch']);
  sendRef!({ method: 'echo', params: ['ping', 7], id: 'echo-1' });
  await until(() => srv.seen.some((m) => m.id === 'echo-1'));
  t.deepEqual(srv.seen.find((m) => m.id === 'echo-1'), { id: 'echo-1', result: ['ping', 7], error: null });
});

test('monitor returns the initial rows and delivers update notifications', async (t) => {
  let sendRef: ((v: unknown) => void) | undefined;
  const srv = await peer((m, send) => {
    sendRef = send;
    if (m.method === 'monitor') send({ id: m.id, result: { Open_vSwitch: { r1: { new: { cur_cfg: 1 } } } }, error: null });
  });
  const c = await OvsdbClient.connect(srv.endpoint);
  t.teardown(() => { srv.close(); void c.close(); });
  const updates: unknown[] = [];
  const init = await c.monitor('Open_vSwitch', 'm1', { Open_vSwitch: { columns: ['cur_cfg'] } }, (u) => updates.push(u));
  t.deepEqual(init, { Open_vSwitch: { r1: { new: { cur_cfg: 1 } } } });
  sendRef!({ method: 'update', params: ['m1', { Open_vSwitch: { r1: { old: { cur_cfg: 1 }, new: { cur_cfg: 2 } } } }], id: null });
  sendRef!({ method: 'update', params: ['other', { X: {} }], id: null });
  sendRef!({ method: 'update', params: ['m1', { Open_vSwitch: { r1: { old: { cur_cfg: 2 }, new: { cur_cfg: 3 } } } }], id: null });
  await until(() => updates.length >= 2);
  updates.pop(); // the sentinel: the 'other' update (sent before it) must not have been delivered
  t.deepEqual(updates, [{ Open_vSwitch: { r1: { old: { cur_cfg: 1 }, new: { cur_cfg: 2 } } } }]);
});

test('a failed op (wait timed out) rejects with TransactError flagged as a wait failure', async (t) => {
  const srv = await peer((m, send) => {
    if (m.method === 'transact') send({ id: m.id, result: [{ error: 'timed out', details: "\"wait\" timed out" }, null], error: null });
  });
  const c = await OvsdbClient.connect(srv.endpoint);
  t.teardown(() => { srv.close(); void c.close(); });
  const e = await t.throwsAsync(c.transact('Open_vSwitch', [{ op: 'wait', table: 'Bridge', where: [], columns: ['ports'], until: '==', rows: [], timeout: 0 }, { op: 'comment', comment: 'x' }]));
  t.true(e instanceof TransactError);
  t.true((e as TransactError).isWaitFailure);
  t.regex(e!.message, /timed out.*operation 0/);
  t.is(c.stats.transacts, 1);
  t.is(c.stats.mutatingTransacts, 0);
});
