/**
 * The UAPI transport against a stand-in unix socket server that answers like
 * wireguard-go (replies end with "errno=N\n\n" and the connection stays open;
 * an unknown request is answered by closing). Real wireguard-go: integration tests.
 */
import test from 'ava';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceUnreachableError } from '../../../src/tunnel/device/model.js';
import { UapiError } from '../../../src/tunnel/device/uapi.js';
import { uapiRequest, UserspaceBackend } from '../../../src/tunnel/device/uapi-backend.js';

const GET = readFileSync(new URL('../../fixtures/uapi/get-two-peers.txt', import.meta.url), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'pr-uapi-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function serve(name: string, onRequest: (req: string, sock: import('node:net').Socket) => void): Promise<{ path: string; server: Server; requests: string[] }> {
  const p = path.join(dir, `${name}.sock`);
  const requests: string[] = [];
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.endsWith('\n\n')) {
        requests.push(buf);
        onRequest(buf, sock);
        buf = '';
      }
    });
  });
  await new Promise<void>((r) => server.listen(p, r));
  return { path: p, server, requests };
}

test('get: a reply split into tiny chunks is reassembled; the connection left open is fine', async (t) => {
  const s = await serve('chunks', (_req, sock) => {
    let i = 0;
    const send = () => {
      if (i >= GET.length) return;
      sock.write(GET.slice(i, i + 7));
      i += 7;
      setImmediate(send);
    };
    send();
  });
  t.teardown(() => s.server.close());
  const d = await new UserspaceBackend(s.path).get();
  t.is(d.peers.length, 2);
  t.deepEqual(s.requests, ['get=1\n\n']);
});

test('set: the request sent is exactly the rendered text; errno != 0 is a UapiError', async (t) => {
  let errno = 0;
  const s = await serve('set', (_req, sock) => sock.write(`errno=${errno}\n\n`));
  t.teardown(() => s.server.close());
  const b = new UserspaceBackend(s.path);
  await b.removePeer('mGv9b0hi1tc9+gRF4rv+dgUDD+aBtIKLszB8LgAB6AY=');
  t.is(s.requests[0], 'set=1\npublic_key=986bfd6f4862d6d73dfa0445e2bbfe7605030fe681b4828bb3307c2e0001e806\nremove=true\n\n');
  errno = -22;
  const e = await t.throwsAsync(b.setListenPort(1), { instanceOf: UapiError });
  t.is(e!.errno, -22);
});

test('a closed connection without reply, a missing socket, and a silent device are told apart', async (t) => {
  const s = await serve('close', (_req, sock) => sock.destroy());
  t.teardown(() => s.server.close());
  await t.throwsAsync(uapiRequest(s.path, 'bogus=1\n\n'), { instanceOf: UapiError, message: /closed the connection/ });
  await t.throwsAsync(new UserspaceBackend(path.join(dir, 'none.sock')).get(), { instanceOf: DeviceUnreachableError });
  const mute = await serve('mute', () => undefined);
  t.teardown(() => mute.server.close());
  await t.throwsAsync(uapiRequest(mute.path, 'get=1\n\n', 200), { instanceOf: UapiError, message: /no reply/ });
});
