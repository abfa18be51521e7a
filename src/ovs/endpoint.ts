/**
 * Endpoint strings shared by the OVSDB and OpenFlow clients:
 * `unix:/path/to.sock` or `tcp:host:port` (IPv6 host in brackets: `tcp:[::1]:6653`).
 */
import net from 'node:net';
import { InputError, OperationError } from '../core/errors.js';

export type Endpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parse an endpoint; InputError naming the value on anything else. */
export function parseEndpoint(s: string, what = 'endpoint'): Endpoint {
  if (s.startsWith('unix:') && s.length > 5) return { kind: 'unix', path: s.slice(5) };
  const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (m && Number(m[2]) > 0 && Number(m[2]) < 65536) return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new InputError({ path: what, value: s, expected: "expected 'unix:/path/to.sock' or 'tcp:host:port'" });
}

/** Open a stream socket to `ep`; rejects with OperationError(step) after `timeoutMs`. */
export function connectSocket(ep: Endpoint, step: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = ep.kind === 'unix' ? net.createConnection({ path: ep.path }) : net.createConnection({ host: ep.host, port: ep.port });
    const label = ep.kind === 'unix' ? `unix:${ep.path}` : `tcp:${ep.host}:${ep.port}`;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new OperationError(step, `connecting to ${label} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new OperationError(step, `cannot connect to ${label}: ${e.message}`, {
        cause: e,
        hint: ep.kind === 'unix' ? 'is the daemon running, and is the socket path right?' : 'is the daemon listening on that address?',
      }));
    });
  });
}

/**
 * End `sock` gracefully (FIN), destroying it if the peer has not closed within
 * 1 s; resolves once it is closed (at once if already destroyed). The timer is
 * unref'd: it never keeps the process alive.
 */
export function closeSocket(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve();
    sock.once('close', () => resolve());
    sock.end();
    setTimeout(() => sock.destroy(), 1000).unref();
  });
}
