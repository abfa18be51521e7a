/**
 * STAND-IN for a Netmaker server (no Netmaker server can run on the test
 * machines). It serves, over HTTPS with a throw-away CA, the REST shapes
 * privroute and the netclient stand-in use, modelled on gravitl/netmaker:
 *
 *   POST   /api/networks                        {netid, addressrange}              master key   (controllers/network.go createNetwork)
 *   GET    /api/networks                                                           master key
 *   POST   /api/v1/enrollment-keys              {expiration, uses_remaining, networks, unlimited, tags, type}
 *                                               → models.EnrollmentKey incl. `token` master key   (controllers/enrollmentkeys.go)
 *   GET    /api/v1/enrollment-keys                                                 master key
 *   DELETE /api/v1/enrollment-keys/<value>                                         master key
 *   POST   /api/v1/host/register/<token>        models.Host {id, name, hostpass, publickey, listenport, endpointip?}
 *                                               → {requestedhost, serverconfig, nodes}  (handleHostRegister; uses consumed)
 *   POST   /api/hosts/adm/authenticate          {id, password} → {Response: {AuthToken}}  (host auth, authenticateHost)
 *   GET    /api/v1/host                         host token → HostPull {host, nodes, peers}  (netclient `pull`)
 *   GET    /api/hosts                                                              master key
 *   DELETE /api/hosts/<hostid>/networks/<net>   master key or that host's token   (deleteHostFromNetwork)
 *
 * Deviation, on purpose: real netclient receives peer updates over MQTT; the
 * netclient stand-in pulls `GET /api/v1/host` every second instead (the same
 * HostPull payload netclient's `pull` command uses). Peers are every other host
 * in a shared network, as wgtypes.PeerConfig-like {publickey, endpoint,
 * allowedips, persistentkeepalive}. A host's endpoint is its `endpointip`, or
 * the source address its registration came from (the server's view of it).
 * Lab/test code only.
 */
import https from 'node:https';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeEnrollmentToken } from '../../mesh/token.js';
import { hostInSubnet4 } from '../../topology/addressing.js';
import { makeCertificate } from './warp-api-support.js';

/** Options of the stand-in. */
export interface NetmakerStandinOptions {
  host: string;
  port?: number;
  /** Private dir for the CA and certificate. */
  dir: string;
  masterKey: string;
  /** Networks that exist at start (netid → addressrange). */
  networks?: Record<string, string>;
}

interface Key { value: string; token: string; networks: string[]; uses_remaining: number; unlimited: boolean; expiration: number; type: number; tags: string[] }
interface Host { id: string; name: string; hostpass: string; publickey: string; listenport: number; endpointip: string; authToken: string; nodes: Map<string, { id: string; network: string; address: string }> }

const alnum = (n: number) => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

/** A running stand-in (in-process; also run as a process by `main`). */
export class NetmakerStandin {
  url = '';
  caFile = '';
  readonly networks = new Map<string, string>();
  readonly keys = new Map<string, Key>();
  readonly hosts = new Map<string, Host>();
  private server?: https.Server;

  constructor(readonly o: NetmakerStandinOptions) {
    for (const [k, v] of Object.entries(o.networks ?? {})) this.networks.set(k, v);
  }

  /** Listen; resolves with the base URL. */
  async start(): Promise<string> {
    const cert = await makeCertificate(this.o.dir, [this.o.host]);
    this.caFile = cert.caFile;
    this.server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(this.o.port ?? 0, this.o.host, ok));
    const port = (this.server.address() as { port: number }).port;
    this.url = `https://${this.o.host}:${port}`;
    return this.url;
  }

  /** The API host without scheme, as tokens carry it. */
  get apiHost(): string {
    return this.url.replace(/^https:\/\//, '');
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  /** Create an enrollment key directly (tests); returns its token. */
  createKey(networks: string[], uses = 1): string {
    return this.addKey({ networks, uses_remaining: uses, unlimited: false, type: 2, expiration: 0, tags: ['privroute'] }).token;
  }

  private addKey(b: Omit<Key, 'value' | 'token'>): Key {
    const value = alnum(32);
    const k: Key = { ...b, value, token: encodeEnrollmentToken(this.apiHost, value) };
    this.keys.set(value, k);
    return k;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string) => send(status, { Code: status, Message: message });
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const path = (req.url ?? '/').split('?')[0]!;
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const master = bearer.length === this.o.masterKey.length && timingSafeEqual(Buffer.from(bearer), Buffer.from(this.o.masterKey));
      const hostByToken = [...this.hosts.values()].find((h) => h.authToken === bearer);
      const m = (re: RegExp) => re.exec(path);
      let g: RegExpExecArray | null;
      if (req.method === 'POST' && (g = m(/^\/api\/v1\/host\/register\/([^/]+)$/))) return send(...this.register(decodeURIComponent(g[1]!), body, req.socket.remoteAddress ?? ''));
      if (req.method === 'POST' && path === '/api/hosts/adm/authenticate') {
        const h = this.hosts.get(String(body.id));
        if (!h || h.hostpass !== body.password) return fail(401, 'incorrect credentials');
        return send(200, { Response: { AuthToken: h.authToken } });
      }
      if (req.method === 'GET' && path === '/api/v1/host') {
        if (!hostByToken) return fail(401, 'unauthorized');
        return send(200, this.pull(hostByToken));
      }
      if (req.method === 'DELETE' && (g = m(/^\/api\/hosts\/([^/]+)\/networks\/([^/]+)$/))) {
        const h = this.hosts.get(g[1]!);
        if (!master && hostByToken !== h) return fail(401, 'unauthorized');
        if (!h || !h.nodes.delete(g[2]!)) return fail(404, `host ${g[1]} is not in network ${g[2]}`);
        if (h.nodes.size === 0) this.hosts.delete(h.id);
        return send(200, { message: 'deleted' });
      }
      if (!master) return fail(401, 'unauthorized: a master key is required (Authorization: Bearer <MASTER_KEY>)');
      if (req.method === 'POST' && path === '/api/networks') {
        if (typeof body.netid !== 'string' || typeof body.addressrange !== 'string') return fail(400, 'netid and addressrange are required');
        this.networks.set(body.netid, body.addressrange);
        return send(200, { netid: body.netid, addressrange: body.addressrange });
      }
      if (req.method === 'GET' && path === '/api/networks') return send(200, [...this.networks].map(([netid, addressrange]) => ({ netid, addressrange })));
      if (req.method === 'POST' && path === '/api/v1/enrollment-keys') return send(...this.createKeyFromBody(body));
      if (req.method === 'GET' && path === '/api/v1/enrollment-keys') return send(200, [...this.keys.values()]);
      if (req.method === 'DELETE' && (g = m(/^\/api\/v1\/enrollment-keys\/([^/]+)$/))) return this.keys.delete(g[1]!) ? send(200, { message: 'deleted' }) : fail(404, 'no such key');
      if (req.method === 'GET' && path === '/api/hosts') return send(200, [...this.hosts.values()].map((h) => this.hostView(h)));
      return fail(404, `no route ${req.method} ${path}`);
    } catch (e) {
      return fail(400, `bad request: ${(e as Error).message}`);
    }
  }

  private createKeyFromBody(b: Record<string, unknown>): [number, unknown] {
    const tags = b.tags;
    if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== 'string' || t.length < 3 || t.length > 32)) return [400, { Code: 400, Message: 'tags are required, each 3-32 characters' }];
    const networks = Array.isArray(b.networks) ? (b.networks as string[]) : [];
    const unknown = networks.filter((n) => !this.networks.has(n));
    if (unknown.length) return [400, { Code: 400, Message: `unknown network(s) ${unknown.join(', ')}` }];
    const type = Number(b.type);
    if (![1, 2, 3].includes(type)) return [400, { Code: 400, Message: 'type must be 1 (TimeExpiration), 2 (Uses) or 3 (Unlimited)' }];
    return [200, this.addKey({ networks, uses_remaining: Number(b.uses_remaining ?? 0), unlimited: type === 3, expiration: Number(b.expiration ?? 0), type, tags: tags as string[] })];
  }

  private register(token: string, b: Record<string, unknown>, from: string): [number, unknown] {
    let value = '';
    try {
      value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')).value;
    } catch {
      /* falls through to 'invalid' */
    }
    const k = this.keys.get(value);
    if (!k || k.token !== token) return [401, { Code: 401, Message: 'invalid enrollment key' }];
    const expired = (k.type === 1 && k.expiration * 1000 < Date.now()) || (k.type === 2 && k.uses_remaining <= 0);
    if (expired) return [401, { Code: 401, Message: 'enrollment key is no longer valid (expired or used up)' }];
    if (typeof b.publickey !== 'string' || typeof b.id !== 'string' || typeof b.hostpass !== 'string') return [400, { Code: 400, Message: 'host id, hostpass and publickey are required' }];
    if (k.type === 2) k.uses_remaining--;
    const h: Host = this.hosts.get(b.id) ?? {
      id: b.id, name: String(b.name ?? b.id), hostpass: b.hostpass, publickey: b.publickey, listenport: Number(b.listenport ?? 51821),
      endpointip: typeof b.endpointip === 'string' && b.endpointip ? b.endpointip : from.replace(/^::ffff:/, ''), authToken: alnum(40), nodes: new Map(),
    };
    this.hosts.set(h.id, h);
    for (const net of k.networks) {
      if (h.nodes.has(net)) continue;
      const range = this.networks.get(net)!;
      const used = new Set([...this.hosts.values()].flatMap((x) => [...x.nodes.values()].filter((n) => n.network === net).map((n) => n.address)));
      let address = '';
      for (let i = 1; !address; i++) {
        const ip = hostInSubnet4(range, i);
        if (!ip) return [500, { Code: 500, Message: `network ${net} is full` }];
        if (!used.has(`${ip}/${range.split('/')[1]}`)) address = `${ip}/${range.split('/')[1]}`;
      }
      h.nodes.set(net, { id: randomUUID(), network: net, address });
    }
    return [200, { requestedhost: this.hostView(h), serverconfig: { server: this.apiHost, api: this.apiHost }, nodes: [...h.nodes.values()] }];
  }

  private hostView(h: Host) {
    return { id: h.id, name: h.name, publickey: h.publickey, listenport: h.listenport, endpointip: h.endpointip, nodes: [...h.nodes.values()].map((n) => n.id) };
  }

  private pull(h: Host) {
    const peers = [...this.hosts.values()]
      .filter((o) => o !== h && [...o.nodes.keys()].some((n) => h.nodes.has(n)))
      .map((o) => ({
        publickey: o.publickey,
        endpoint: `${o.endpointip}:${o.listenport}`,
        allowedips: [...o.nodes.values()].filter((n) => h.nodes.has(n.network)).map((n) => `${n.address.split('/')[0]}/32`),
        persistentkeepalive: 20,
      }));
    return { host: this.hostView(h), nodes: [...h.nodes.values()], peers };
  }
}

/** `--config <file.json>` holding {host, port, dir, masterKeyFile, networks}: run until killed; prints {"url","caFile"} on stdout. */
async function main(argv: string[]): Promise<void> {
  if (argv[0] !== '--config' || !argv[1]) throw new Error('usage: netmaker-server.ts --config <file.json>');
  const c = JSON.parse(readFileSync(argv[1], 'utf8')) as Omit<NetmakerStandinOptions, 'masterKey'> & { masterKeyFile: string };
  const s = new NetmakerStandin({ ...c, masterKey: readFileSync(c.masterKeyFile, 'utf8').trim() });
  await s.start();
  process.stdout.write(JSON.stringify({ url: s.url, caFile: s.caFile }) + '\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`netmaker-server stand-in: ${e.message}\n`);
    process.exit(1);
  });
}
