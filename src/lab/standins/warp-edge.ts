/**
 * STAND-IN for Cloudflare's WARP edge and its trace page, for the lab and
 * integration tests (Cloudflare cannot be reached here).
 *
 * - {@link startWarpEdge}: a real wireguard-go peer in an "edge" namespace, with
 *   the address of the stand-in API's pool network, forwarding and masquerading
 *   what comes out of the tunnel to the lab's "internet" namespace. Devices are
 *   added/removed as peers by the API stand-in (warp-api.ts) over this UAPI socket.
 * - {@link startTraceServer}: a stand-in for `https://www.cloudflare.com/cdn-cgi/trace`
 *   (plain HTTP) in the internet namespace: `key=value` lines with `ip=<client>` and
 *   `warp=on` when the client is one of the edge's egress addresses, else `warp=off`,
 *   as Cloudflare answers by source address. Every request is logged (`client=<ip> path=<p>`),
 *   so a test can see where traffic came from. Any other path answers `ip=<client>` too.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Scope } from '../harness/scope.js';
import { startProcess, waitFor, waitGone, type Proc } from '../harness/process.js';
import { NetnsExec } from '../../host/netns.js';
import { generateKeyPair, type WgKeyPair } from '../../warp/keys.js';
import { UserspaceBackend } from '../../tunnel/device/uapi-backend.js';

/** Options of {@link startWarpEdge}. */
export interface WarpEdgeOptions {
  /** Edge namespace (exists, forwarding on). */
  ns: string;
  /** wireguard-go interface name: machine-unique, <= 15 chars. */
  iface: string;
  listenPort: number;
  /** The edge's own tunnel address with the pool's prefix, e.g. `172.16.0.1/24`. */
  address4: string;
  address6?: string;
  /** Interface toward the internet namespace; tunnel traffic is masqueraded out of it. */
  egressIf: string;
  /** Reuse a key (restart); default a fresh one. */
  keys?: WgKeyPair;
}

/** A running edge. */
export interface WarpEdge {
  readonly publicKey: string;
  readonly keys: WgKeyPair;
  readonly iface: string;
  readonly uapi: UserspaceBackend;
  proc: Proc;
  /** Kill wireguard-go (SIGKILL): the edge vanishes, as an outage would. */
  kill(): Promise<void>;
  /** Start wireguard-go again with the same key and addresses (peers must be re-applied: see WarpApiStandin.resyncEdge). */
  restart(): Promise<void>;
}

/** Start the edge. Stopped (by pid) at scope close. */
export async function startWarpEdge(scope: Scope, o: WarpEdgeOptions): Promise<WarpEdge> {
  const keys = o.keys ?? generateKeyPair();
  const ns = new NetnsExec(o.ns);
  const uapi = UserspaceBackend.forInterface(o.iface);
  let n = 0;
  const launch = async (): Promise<Proc> => {
    const proc = await startProcess(scope, { name: `${o.iface}-wg${n++}`, ns: o.ns, argv: ['wireguard-go', '-f', o.iface] });
    await waitFor(`edge wireguard-go ${o.iface} UAPI`, () => uapi.alive());
    await uapi.set({ privateKey: keys.privateKey, listenPort: o.listenPort });
    await ns.run(['ip', 'addr', 'add', o.address4, 'dev', o.iface]);
    if (o.address6) await ns.run(['ip', '-6', 'addr', 'add', o.address6, 'dev', o.iface, 'nodad']);
    await ns.run(['ip', 'link', 'set', 'dev', o.iface, 'up']);
    return proc;
  };
  const edge: WarpEdge = {
    publicKey: keys.publicKey,
    keys,
    iface: o.iface,
    uapi,
    proc: await launch(),
    kill: async () => {
      process.kill(edge.proc.pid, 'SIGKILL');
      await waitGone(edge.proc.pid, `edge ${o.iface} wireguard-go`);
      await edge.proc.stop();
      await waitFor(`edge ${o.iface} gone`, async () => !(await uapi.alive()));
    },
    restart: async () => {
      edge.proc = await launch();
    },
  };
  // kill() leaves the socket file of the SIGKILLed instance: remove it by name at scope close.
  scope.defer(`edge socket ${o.iface}`, () => rmSync(uapi.socketPath, { force: true }));
  // The edge's NAT toward the internet (its own namespace; added once, it survives restarts).
  await ns.run(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', o.egressIf, '-j', 'MASQUERADE']);
  if (o.address6) await ns.run(['ip6tables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', o.egressIf, '-j', 'MASQUERADE']);
  return edge;
}

/** Python source of the trace stand-in (passed as argv, no shell). */
const TRACE_PY = String.raw`
import http.server, sys, time
egress = set(sys.argv[3].split(',')) if len(sys.argv) > 3 and sys.argv[3] else set()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ip = self.client_address[0]
        if self.path.startswith('/cdn-cgi/trace'):
            body = 'fl=lab\nh=%s\nip=%s\nts=%.3f\nvisit_scheme=http\nuag=%s\ncolo=LAB\nhttp=http/1.1\nloc=ZZ\ntls=off\nsni=off\nwarp=%s\ngateway=off\n' % (
                self.headers.get('Host', ''), ip, time.time(), self.headers.get('User-Agent', ''), 'on' if ip in egress else 'off')
        else:
            body = 'hello from the lab internet\nip=%s\n' % ip
        b = body.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)
        print('client=%s path=%s' % (ip, self.path), flush=True)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
`;

/** A running trace/web stand-in. */
export interface TraceServer {
  proc: Proc;
  url: string;
  /** Client addresses of the requests so far, in order. */
  clients(): string[];
}

/** Start the trace/web stand-in in `ns`, bound to `host:port`; `egress` are the edge addresses that count as WARP. */
export async function startTraceServer(scope: Scope, o: { ns: string; host: string; port: number; egress: string[]; name?: string }): Promise<TraceServer> {
  mkdirSync(path.join(scope.dir), { recursive: true });
  const proc = await startProcess(scope, { name: o.name ?? 'trace', ns: o.ns, argv: ['python3', '-u', '-c', TRACE_PY, o.host, String(o.port), o.egress.join(',')] });
  const ns = new NetnsExec(o.ns);
  await waitFor('trace stand-in listening', async () => (await ns.run(['ss', '-Hltn', `sport = :${o.port}`])).stdout.trim() !== '');
  return {
    proc,
    url: `http://${o.host}:${o.port}`,
    clients: () => [...proc.log().matchAll(/^client=(\S+) /gm)].map((m) => m[1]!),
  };
}
