/**
 * STAND-IN for Netmaker's `netclient` (it cannot be installed on the test
 * machines). An executable with the commands privroute drives, modelled on
 * gravitl/netclient (cmd/register.go, cmd/join.go, cmd/list.go, cmd/leave.go):
 *
 *   netclient join -t <token> [-I <iface>] [-o <name>] [-p <port>] [-e <endpoint ip>]
 *       Real netclient takes the token ONLY as `-t <token>` (a cobra string flag; there
 *       is no file or stdin form), so neither does this stand-in. The token is decoded
 *       ({server, value}), the host registers at POST https://<server>/api/v1/host/register/<token>,
 *       the config is written (0600) and the daemon started. `-I` must start with
 *       "netmaker" and must not exist yet (netclient's validateIface).
 *   netclient list [network]   JSON array of {network, node_id, connected, ipv4_addr, ipv6_addr, peers[]}
 *   netclient leave <network>  leaves; with no network left the daemon stops and the interface goes
 *   netclient daemon           the agent, in the foreground: a REAL wireguard-go interface
 *                              (default `netmaker`) with the node's address, and the peers the
 *                              server returns, pulled every second (real netclient: MQTT)
 *   netclient service-restart  stands in for `systemctl restart netclient` (no systemd here):
 *                              stops the running daemon and starts a new one, detached
 *   netclient version
 *
 * Stand-in only, before the command: `--config-dir <dir>` (real: /etc/netclient, which
 * the lab must not touch) and `--ca-file <pem>` (real: the system roots). Files, as
 * real netclient keeps them: netclient.json (host: id, name, keys, port, interface),
 * servers.json, nodes.json. Lab/test code only.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { spawnArgv } from '../../host/local.js';
import { parseEnrollmentToken } from '../../mesh/token.js';

interface HostConf { id: string; name: string; hostpass: string; privatekey: string; publickey: string; listenport: number; interface: string; endpointip?: string }
interface NodeConf { id: string; network: string; address: string; server: string }
interface Peer { publickey: string; endpoint: string; allowedips: string[]; persistentkeepalive: number }

const die = (msg: string, code = 1): never => {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
};

class Netclient {
  constructor(readonly dir: string, readonly ca?: Buffer) {}
  private f = (n: string) => path.join(this.dir, n);
  private read = <T>(n: string, d: T): T => (existsSync(this.f(n)) ? (JSON.parse(readFileSync(this.f(n), 'utf8')) as T) : d);
  private write = (n: string, v: unknown) => {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.f(n), JSON.stringify(v, null, 2), { mode: 0o600 });
  };
  host = () => this.read<HostConf | null>('netclient.json', null);
  nodes = () => this.read<Record<string, NodeConf>>('nodes.json', {});
  servers = () => this.read<Record<string, { api: string; authToken?: string }>>('servers.json', {});

  request(method: string, server: string, p: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
    return new Promise((ok, fail) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const [hostname, port] = server.split(':');
      const req = https.request({ method, hostname, port: port ? Number(port) : 443, path: p, ca: this.ca, timeout: 10_000,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(data ? { 'content-length': data.length } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const t = Buffer.concat(chunks).toString('utf8');
          ok({ status: res.statusCode ?? 0, json: t ? JSON.parse(t) : undefined });
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', fail);
      req.end(data);
    });
  }

  /** The host identity, created on first use (netclient's checkConfig). */
  ensureHost(o: { iface?: string; name?: string; port?: number; endpoint?: string }): HostConf {
    let h = this.host();
    if (!h) {
      const { privateKey } = generateKeyPairSync('x25519');
      const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
      const b64 = (u: string) => Buffer.from(u, 'base64url').toString('base64');
      h = { id: randomUUID(), name: o.name ?? 'netclient', hostpass: randomBytes(24).toString('hex'), privatekey: b64(jwk.d), publickey: b64(jwk.x), listenport: 51821, interface: 'netmaker' };
    }
    if (o.iface) h.interface = o.iface;
    if (o.name) h.name = o.name;
    if (o.port) h.listenport = o.port;
    if (o.endpoint) h.endpointip = o.endpoint;
    this.write('netclient.json', h);
    return h;
  }

  async join(args: Map<string, string>): Promise<void> {
    const raw = args.get('-t') ?? die('usage: netclient join -t <token>');
    let tok;
    try {
      tok = parseEnrollmentToken(raw, 'token');
    } catch (e) {
      return die(`could not decode token: ${(e as Error).message.split('\n').slice(1).join(' ').trim()}`);
    }
    const iface = args.get('-I');
    if (iface !== undefined) {
      if (!iface.startsWith('netmaker')) die('invalid interface name, should contain `netmaker` as prefix');
      if ((await spawnArgv('local', ['ip', 'link', 'show', 'dev', iface], { okCodes: [0, 1] })).code === 0) die(`iface \`${iface}\` already exists`);
    }
    const h = this.ensureHost({ iface, name: args.get('-o'), port: args.has('-p') ? Number(args.get('-p')) : undefined, endpoint: args.get('-e') });
    let r;
    try {
      r = await this.request('POST', tok.server, `/api/v1/host/register/${encodeURIComponent(tok.raw)}`, { id: h.id, name: h.name, hostpass: h.hostpass, publickey: h.publickey, listenport: h.listenport, endpointip: h.endpointip ?? '' });
    } catch (e) {
      return die(`registration failed: could not reach https://${tok.server}: ${(e as Error).message}`);
    }
    if (r.status !== 200) die(`registration failed: ${r.status} ${r.json?.Message ?? ''}`);
    const nodes = this.nodes();
    for (const n of r.json.nodes as { id: string; network: string; address: string }[]) nodes[n.network] = { ...n, server: tok.server };
    this.write('nodes.json', nodes);
    this.write('servers.json', { ...this.servers(), [tok.server]: { api: tok.server } });
    if (!this.daemonPid()) this.startDaemon();
    await this.waitConnected(h.interface);
    process.stdout.write(`joined ${Object.keys(nodes).join(', ')}\n`);
  }

  daemonPid(): number | null {
    const pid = Number(existsSync(this.f('netclient.pid')) ? readFileSync(this.f('netclient.pid'), 'utf8') : 0);
    if (!pid) return null;
    try {
      process.kill(pid, 0);
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon') ? pid : null;
    } catch {
      return null;
    }
  }

  startDaemon(): void {
    const argv = [...process.execArgv, process.argv[1]!, '--config-dir', this.dir, ...(this.ca ? ['--ca-file', String(process.env.NETCLIENT_STANDIN_CA_FILE)] : []), 'daemon'];
    const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    child.unref();
  }

  async waitConnected(iface: string): Promise<void> {
    for (let i = 0; i < 1200; i++) {
      const out = await spawnArgv('local', ['ip', '-j', 'addr', 'show', 'dev', iface], { okCodes: [0, 1] });
      if (out.code === 0 && out.stdout.includes('"inet"')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    die(`interface ${iface} did not come up (see ${this.f('daemon.log')})`);
  }

  async stopDaemon(): Promise<void> {
    const pid = this.daemonPid();
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && this.daemonPid(); i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** The agent: interface, address, peers; pulls every second. Never returns. */
  async daemon(): Promise<void> {
    writeFileSync(this.f('netclient.pid'), String(process.pid), { mode: 0o600 });
    const h = this.host() ?? die('not registered: run netclient join -t <token>');
    const log = (m: string) => writeFileSync(this.f('daemon.log'), `${new Date().toISOString()} ${m}\n`, { flag: 'a' });
    const run = (argv: string[], stdin?: string) => spawnArgv('local', argv, { stdin, okCodes: [0, 1] });
    process.on('SIGTERM', () => process.exit(0));
    const exists = async () => (await run(['ip', 'link', 'show', 'dev', h.interface])).code === 0;
    if (!(await exists())) {
      rmSync(`/var/run/wireguard/${h.interface}.sock`, { force: true });
      await spawnArgv('local', ['wireguard-go', h.interface]);
    }
    const keyFile = this.f('private.key');
    writeFileSync(keyFile, h.privatekey + '\n', { mode: 0o600 });
    await spawnArgv('local', ['wg', 'set', h.interface, 'private-key', keyFile, 'listen-port', String(h.listenport)]);
    const nodes = Object.values(this.nodes());
    for (const n of nodes) await spawnArgv('local', ['ip', 'addr', 'replace', n.address, 'dev', h.interface]);
    await spawnArgv('local', ['ip', 'link', 'set', 'dev', h.interface, 'mtu', '1420', 'up']);
    log(`interface ${h.interface} up`);
    const servers = [...new Set(nodes.map((n) => n.server))];
    let token = '';
    for (;;) {
      for (const s of servers) {
        try {
          if (!token) token = (await this.request('POST', s, '/api/hosts/adm/authenticate', { id: h.id, password: h.hostpass })).json?.Response?.AuthToken ?? '';
          const r = await this.request('GET', s, '/api/v1/host', undefined, token);
          if (r.status === 401) token = '';
          if (r.status === 200 && (await exists())) await this.applyPeers(h.interface, r.json.peers as Peer[]);
        } catch (e) {
          log(`pull from ${s} failed: ${(e as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async applyPeers(iface: string, peers: Peer[]): Promise<void> {
    const dump = (await spawnArgv('local', ['wg', 'show', iface, 'peers'])).stdout.split('\n').filter(Boolean);
    for (const p of peers) {
      await spawnArgv('local', ['wg', 'set', iface, 'peer', p.publickey, 'endpoint', p.endpoint, 'allowed-ips', p.allowedips.join(','), 'persistent-keepalive', String(p.persistentkeepalive)]);
    }
    for (const k of dump) if (!peers.some((p) => p.publickey === k)) await spawnArgv('local', ['wg', 'set', iface, 'peer', k, 'remove']);
  }

  async list(network?: string): Promise<void> {
    const h = this.host();
    const alive = this.daemonPid() !== null;
    const out = [];
    for (const n of Object.values(this.nodes())) {
      if (network && n.network !== network) continue;
      const show = await spawnArgv('local', ['wg', 'show', h!.interface, 'dump'], { okCodes: [0, 1] });
      const peers = show.code === 0 ? show.stdout.split('\n').slice(1).filter(Boolean).map((l) => {
        const [publickey, , endpoint, allowedips, handshake] = l.split('\t');
        return { public_key: publickey, endpoint, allowed_ips: allowedips?.split(','), latest_handshake: Number(handshake) };
      }) : [];
      out.push({ network: n.network, node_id: n.id, connected: alive && show.code === 0, ipv4_addr: n.address, ipv6_addr: '', peers });
    }
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  }

  async leave(network: string): Promise<void> {
    const nodes = this.nodes();
    const n = nodes[network] ?? die(`not a member of network ${network}`);
    const h = this.host()!;
    try {
      const token = (await this.request('POST', n.server, '/api/hosts/adm/authenticate', { id: h.id, password: h.hostpass })).json?.Response?.AuthToken;
      await this.request('DELETE', n.server, `/api/hosts/${h.id}/networks/${network}`, undefined, token);
    } catch (e) {
      process.stderr.write(`could not tell the server (${(e as Error).message}); leaving locally\n`);
    }
    delete nodes[network];
    this.write('nodes.json', nodes);
    if (Object.keys(nodes).length === 0) {
      await this.stopDaemon();
      await spawnArgv('local', ['ip', 'link', 'del', 'dev', h.interface], { okCodes: [0, 1] });
      rmSync(`/var/run/wireguard/${h.interface}.sock`, { force: true });
    }
    process.stdout.write(`successful left network  ${network}\n`);
  }
}

async function main(argv: string[]): Promise<void> {
  let dir = '/etc/netclient';
  let caFile: string | undefined;
  while (argv[0]?.startsWith('--')) {
    const [k, v] = [argv.shift()!, argv.shift()];
    if (k === '--config-dir' && v) dir = v;
    else if (k === '--ca-file' && v) caFile = v;
    else die(`unknown option ${k}`);
  }
  if (caFile) process.env.NETCLIENT_STANDIN_CA_FILE = caFile;
  const nc = new Netclient(dir, caFile ? readFileSync(caFile) : undefined);
  const [cmd, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) if (rest[i]!.startsWith('-')) flags.set(rest[i]!, rest[++i] ?? '');
  switch (cmd) {
    case 'join':
    case 'register':
      return nc.join(flags);
    case 'list':
      return nc.list(rest[0]);
    case 'leave':
      return rest[0] ? nc.leave(rest[0]) : die('usage: netclient leave <network>');
    case 'daemon':
      return nc.daemon();
    case 'service-restart':
      await nc.stopDaemon();
      nc.startDaemon();
      return nc.waitConnected(nc.host()?.interface ?? die('not registered'));
    case 'version':
      process.stdout.write('v0.24.0-privroute-standin\n');
      return;
    default:
      die(`unknown command ${cmd ?? ''}; commands: join list leave daemon version`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => die(`netclient stand-in: ${e.message}`));
