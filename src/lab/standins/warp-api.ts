/**
 * STAND-IN for Cloudflare's WARP device API (api.cloudflareclient.com), which
 * cannot be reached from test machines. It is a fixture of the documented
 * behaviour in shared/reference/warp-api.md, not a product component:
 *
 * - HTTPS with a throw-away CA + server certificate made by `openssl` (argv) in a
 *   private 0700 dir; TLS 1.2 only (a TLS 1.3-only client is refused), HTTP/1.1;
 * - the same paths with the version segment (`/<v>/reg`, `/<v>/reg/<id>`,
 *   `/<v>/reg/<id>/account`, `/<v>/reg/<id>/account/reg/<id>`);
 * - headers checked: okhttp User-Agent and CF-Client-Version (else 403, error
 *   1020 as Cloudflare answers), JSON Content-Type on bodies, bearer token on
 *   authed calls (else 401);
 * - the same JSON shapes (id, token, account{license, account_type},
 *   config{client_id, interface{addresses{v4,v6}}, peers[{public_key, endpoint{host,v4,v6}}]});
 * - WARP+ licenses validated against a configured set; others get the API's
 *   error shape `{success:false, errors:[{code, message}]}`;
 * - fault injection: next N calls answer 429 (with Retry-After), 403, 5xx, or
 *   malformed JSON instead of being processed; or are processed and then
 *   answered 5xx or never answered (a failing gateway in front of the origin).
 *
 * Real, not faked: when a device is registered, re-keyed or deleted, the stand-in
 * applies the change to the edge's wireguard-go over its UAPI socket, as the real
 * service makes its edge accept the new key. Addresses come from a pool, one per
 * device (Cloudflare hands everyone 172.16.0.2; unique ones let tests see which
 * device carried traffic).
 *
 * Runs in-process (tests) or as a process (`node --import tsx
 * src/lab/standins/warp-api.ts --config file.json`), see {@link main}.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { makeCertificate, parseMainArgs } from './warp-api-support.js';
export { makeCertificate, parseMainArgs };
import { UserspaceBackend } from '../../tunnel/device/uapi-backend.js';
import { isKey } from '../../warp/keys.js';

/** Where device peers are applied (the edge's wireguard-go). */
export interface EdgePeerSink {
  setPeer(publicKey: string, allowedIps: string[]): Promise<void>;
  removePeer(publicKey: string): Promise<void>;
}

/** An {@link EdgePeerSink} that talks UAPI to the edge's wireguard-go interface. */
export function uapiEdgeSink(iface: string, socketDir?: string): EdgePeerSink {
  const c = UserspaceBackend.forInterface(iface, socketDir);
  return {
    setPeer: (publicKey, allowedIps) => c.setPeer({ publicKey, allowedIps }),
    removePeer: (publicKey) => c.removePeer(publicKey),
  };
}

/** Options of the stand-in. */
export interface WarpApiStandinOptions {
  /** Private dir for the CA and certificate (created 0700). */
  dir: string;
  /** Listen address; default 127.0.0.1, port 0 (ephemeral). */
  host?: string;
  port?: number;
  /** Version segment; default `v0a1922`. */
  version?: string;
  /** The edge's WireGuard public key (peers[0].public_key). */
  peerPublicKey: string;
  /** peers[0].endpoint as returned: `host` plus v4/v6 with port 0 (as Cloudflare does). */
  endpoint: { host: string; v4?: string; v6?: string };
  /** Address pools: v4 prefix (`172.16.0.`) and v6 prefix (`fd01:5741::`); device N gets N+2. */
  poolV4?: string;
  poolV6?: string;
  /** Licenses the stand-in accepts for WARP+. */
  validLicenses?: string[];
  /** Where to apply device keys; omit for API-only unit tests. */
  edge?: EdgePeerSink;
  /** TLS versions served; default 1.2 only. Tests use 1.3-only to check the client refuses. */
  tls?: { min: 'TLSv1.2' | 'TLSv1.3'; max: 'TLSv1.2' | 'TLSv1.3' };
  /** Names for the certificate's SAN (the listen host is always added). */
  serverNames?: string[];
}

/** One stored device. */
export interface StandinDevice {
  id: string;
  token: string;
  key: string;
  name: string;
  active: boolean;
  accountType: string;
  ownLicense: string;
  boundLicense: string | null;
  clientId: string;
  v4: string;
  v6: string;
  createdAt: string;
}

/** One request as seen, for assertions. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  tls: string | null;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Which requests a fault applies to (default: any). */
export interface FaultMatch {
  method?: string;
  /** Tested against the path below the version segment, e.g. `/reg/<id>/account`. */
  path?: RegExp;
}

/** `status`/`malformed` answer instead of processing; `after` processes, then answers `then` or never (`hang`). */
type Fault = ({ kind: 'status'; status: number; retryAfter?: string } | { kind: 'malformed' } | { kind: 'after'; then: number | 'hang' }) & { match?: FaultMatch };

/** A running stand-in. */
export class WarpApiStandin {
  /** Base URL including the version segment. */
  url = '';
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly devices = new Map<string, StandinDevice>();
  readonly deletedIds: string[] = [];
  readonly requests: SeenRequest[] = [];
  /** Edge updates that failed (edge down); the API still answers, as Cloudflare's would. resyncEdge() re-applies. */
  readonly edgeErrors: string[] = [];
  private faults: Fault[] = [];
  private server?: https.Server;
  private n = 0;

  constructor(readonly o: WarpApiStandinOptions) {
    this.caFile = path.join(o.dir, 'ca.pem');
  }

  /** Make the next `count` calls answer `status` (429 carries `Retry-After: retryAfter`). */
  injectStatus(status: number, count = 1, retryAfter?: number | string, match?: FaultMatch): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'status', status, retryAfter: retryAfter === undefined ? undefined : String(retryAfter), match });
  }

  /** Make the next `count` calls answer 200 with a truncated JSON body. */
  injectMalformed(count = 1, match?: FaultMatch): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'malformed', match });
  }

  /**
   * Make the next `count` matching calls be *processed* and then answered with
   * HTTP `then`, or not answered at all (`'hang'`: the client's timeout fires).
   */
  injectAfterProcessing(then: number | 'hang', count = 1, match?: FaultMatch): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'after', then, match });
  }

  /** Take the first queued fault that applies to this request. */
  private takeFault(method: string, url: string): Fault | undefined {
    const sub = url.split('?')[0]!.replace(`/${this.o.version ?? 'v0a1922'}`, '');
    const i = this.faults.findIndex((f) => (!f.match?.method || f.match.method === method) && (!f.match?.path || f.match.path.test(sub)));
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  /** Re-apply every device's peer to the edge (after the edge's wireguard-go restarted). */
  async resyncEdge(): Promise<void> {
    for (const d of this.devices.values()) await this.o.edge?.setPeer(d.key, this.allowed(d));
  }

  async start(): Promise<this> {
    const { key, cert } = await makeCertificate(this.o.dir, [...(this.o.serverNames ?? []), this.o.host ?? '127.0.0.1']);
    const tls = this.o.tls ?? { min: 'TLSv1.2', max: 'TLSv1.2' };
    this.server = https.createServer({ key, cert, minVersion: tls.min, maxVersion: tls.max }, (req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.url = `https://${host}:${a.port}/${this.o.version ?? 'v0a1922'}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async edgeDo(fn: () => Promise<void> | undefined): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.edgeErrors.push((e as Error).message);
    }
  }

  private allowed(d: StandinDevice): string[] {
    return [`${d.v4}/32`, `${d.v6}/128`];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      tls: (req.socket as import('node:tls').TLSSocket).getProtocol?.() ?? null,
      httpVersion: req.httpVersion,
      headers: { ...req.headers, authorization: req.headers.authorization ? '<bearer>' : undefined },
    };
    this.requests.push(seen);
    let after: Extract<Fault, { kind: 'after' }> | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (after) {
        const then = after.then;
        after = undefined;
        if (then === 'hang') {
          seen.status = -1; // processed, never answered (stop() closes the socket)
          return;
        }
        return send(then, apiError(10001, 'Bad gateway'));
      }
      seen.status = status;
      const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(text);
    };
    try {
      const fault = this.takeFault(req.method ?? '', req.url ?? '');
      if (fault?.kind === 'after') after = fault;
      if (fault?.kind === 'malformed') return send(200, '{"id":"t0-broken","config":{"interface":');
      if (fault?.kind === 'status') {
        return send(fault.status, apiError(fault.status === 429 ? 10000 : fault.status === 403 ? 1020 : 10001, fault.status === 403 ? 'Access denied' : 'Too many requests'), fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      }
      // Cloudflare's edge refuses clients that do not look like the app.
      if (!/^okhttp\//.test(req.headers['user-agent'] ?? '') || !/^a-\d/.test(String(req.headers['cf-client-version'] ?? ''))) {
        return send(403, apiError(1020, 'Access denied'));
      }
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : '';
      let json: Record<string, unknown> = {};
      if (body) {
        if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return send(415, apiError(1001, 'Content-Type must be application/json'));
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          return send(400, apiError(1002, 'Invalid JSON'));
        }
      }
      const v = this.o.version ?? 'v0a1922';
      const m = new RegExp(`^/${v}/reg(?:/([^/]+)(?:/(account)(?:/reg/([^/]+))?)?)?$`).exec((req.url ?? '').split('?')[0]!);
      if (!m) return send(404, apiError(1000, 'Not found'));
      const [, id, account, sub] = m;
      const method = req.method ?? '';
      if (!id) {
        if (method !== 'POST') return send(405, apiError(1000, 'Method not allowed'));
        if (!isKey(json.key)) return send(400, apiError(1002, 'Invalid public key'));
        return send(200, await this.register(json.key));
      }
      const d = this.devices.get(decodeURIComponent(id));
      if (!d || req.headers.authorization !== `Bearer ${d.token}`) return send(401, apiError(10000, 'Authentication error'));
      if (!account && method === 'GET') return send(200, this.view(d));
      if (!account && method === 'PATCH') {
        if (!isKey(json.key)) return send(400, apiError(1002, 'Invalid public key'));
        await this.edgeDo(() => this.o.edge?.removePeer(d.key));
        d.key = json.key;
        await this.edgeDo(() => this.o.edge?.setPeer(d.key, this.allowed(d)));
        return send(200, this.view(d));
      }
      if (!account && method === 'DELETE') {
        this.devices.delete(d.id);
        this.deletedIds.push(d.id);
        await this.edgeDo(() => this.o.edge?.removePeer(d.key));
        seen.status = 204;
        res.writeHead(204);
        return void res.end();
      }
      if (account && !sub && method === 'GET') return send(200, this.accountView(d));
      if (account && !sub && method === 'PUT') {
        const lic = json.license;
        const valid = this.o.validLicenses ?? [];
        if (typeof lic !== 'string' || (lic !== d.ownLicense && !valid.includes(lic))) return send(400, apiError(1003, 'Invalid license'));
        const bound = [...this.devices.values()].filter((x) => x.boundLicense === lic && x.id !== d.id).length;
        if (lic !== d.ownLicense && bound >= 5) return send(400, apiError(1004, 'Too many connected devices'));
        d.boundLicense = lic === d.ownLicense ? null : lic;
        d.accountType = d.boundLicense ? 'limited' : 'free';
        return send(200, this.accountView(d));
      }
      if (account && sub && method === 'PATCH') {
        if (decodeURIComponent(sub) !== d.id) return send(404, apiError(1000, 'Not found'));
        if (typeof json.name === 'string') d.name = json.name;
        if (typeof json.active === 'boolean') d.active = json.active;
        return send(200, { id: d.id, name: d.name, active: d.active, type: 'Android', model: 'PC', role: 'parent' });
      }
      return send(405, apiError(1000, 'Method not allowed'));
    } catch (e) {
      return send(500, apiError(10001, `stand-in failure: ${(e as Error).message}`));
    }
  }

  private async register(key: string): Promise<unknown> {
    const n = ++this.n;
    const d: StandinDevice = {
      id: `t.${randomUUID()}`,
      token: randomUUID(),
      key,
      name: '',
      active: true,
      accountType: 'free',
      ownLicense: `${rnd(8)}-${rnd(8)}-${rnd(8)}`,
      boundLicense: null,
      clientId: randomBytes(3).toString('base64'),
      v4: `${this.o.poolV4 ?? '172.16.0.'}${n + 1}`,
      v6: `${this.o.poolV6 ?? 'fd01:5741::'}${(n + 1).toString(16)}`,
      createdAt: new Date().toISOString(),
    };
    this.devices.set(d.id, d);
    await this.edgeDo(() => this.o.edge?.setPeer(d.key, this.allowed(d)));
    return { ...this.view(d), token: d.token };
  }

  private accountView(d: StandinDevice): Record<string, unknown> {
    return {
      id: `acct-${d.id.slice(2, 10)}`,
      account_type: d.accountType,
      license: d.boundLicense ?? d.ownLicense,
      warp_plus: d.accountType !== 'free',
      premium_data: d.accountType === 'free' ? 0 : 10_000_000_000,
      quota: d.accountType === 'free' ? 0 : 10_000_000_000,
      created: d.createdAt,
    };
  }

  private view(d: StandinDevice): Record<string, unknown> {
    return {
      id: d.id,
      type: 'a',
      model: 'PC',
      name: d.name,
      key: d.key,
      account: this.accountView(d),
      config: {
        client_id: d.clientId,
        peers: [{ public_key: this.o.peerPublicKey, endpoint: { ...this.o.endpoint } }],
        interface: { addresses: { v4: d.v4, v6: d.v6 } },
        services: { http_proxy: '172.16.0.1:2480' },
      },
      token: undefined,
      warp_enabled: true,
      waitlist_enabled: false,
      created: d.createdAt,
      updated: new Date().toISOString(),
      tos: d.createdAt,
      place: 0,
      locale: 'en-US',
      enabled: true,
      install_id: '',
      fcm_token: '',
    };
  }
}

function apiError(code: number, message: string): Record<string, unknown> {
  return { result: null, success: false, errors: [{ code, message }], messages: [] };
}

function rnd(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(n), (b) => abc[b % abc.length]).join('');
}

/** Start a stand-in (in-process). Stop it with `stop()`. */
export function startWarpApiStandin(o: WarpApiStandinOptions): Promise<WarpApiStandin> {
  return new WarpApiStandin(o).start();
}

/**
 * Process entry (see {@link parseMainArgs}). Prints one JSON line `{url, caFile}`
 * on stdout when listening; stops on SIGTERM.
 */
export async function main(argv: string[]): Promise<void> {
  const cfg = parseMainArgs(argv);
  const s = await startWarpApiStandin({ ...cfg, edge: cfg.edgeInterface ? uapiEdgeSink(cfg.edgeInterface) : undefined });
  process.stdout.write(JSON.stringify({ url: s.url, caFile: s.caFile }) + '\n');
  process.once('SIGTERM', () => void s.stop().then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`warp-api stand-in: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
