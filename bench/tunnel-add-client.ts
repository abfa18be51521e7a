/**
 * bench/tunnel-add-client.ts — add-client latency vs the number of existing
 * clients (100, 1,000, 10,000), with the wg-easy way measured side by side on the
 * same wireguard-go interface in the same run. Prints JSON on stdout.
 *
 *   node --import tsx bench/tunnel-add-client.ts [--adds 40] [--cli-adds 6] [--sizes 100,1000,10000] [--cli-js dist/src/cli/main.js]
 *
 * Per size N:
 * - in-process: ClientService.add() (keys, IPAM + INSERT in one IMMEDIATE tx,
 *   one-peer UAPI set on the live wireguard-go, config render), p50/p95;
 * - cli: `node --import tsx src/cli/main.ts add-client` end to end, p50/p95, plus the
 *   bare CLI start-up (`--version`) so the product's share is visible;
 * - wg-easy: rewrite the whole wg config (all N peers + the new one) to a file and
 *   run `wg syncconf <if> <file>`, p50/p95.
 * Needs root (namespace + wireguard-go); without it only in-process store work is
 * measured (live apply deferred) and the peer columns are null.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../src/config/validate.js';
import { spawnArgv } from '../src/host/local.js';
import { NetnsExec } from '../src/host/netns.js';
import { createNetns, Scope, startProcess, uniquePrefix, waitFor } from '../src/lab/harness/index.js';
import { StateStore } from '../src/state/store.js';
import { ClientService, ensureGatewayKeys, peerOf } from '../src/tunnel/clients.js';
import { insertClient, listClients } from '../src/tunnel/client-repo.js';
import { UserspaceBackend, uapiSocketPath } from '../src/tunnel/device/uapi-backend.js';
import { addressSpace, host4 } from '../src/tunnel/ipam.js';
import { readFileSync } from 'node:fs';
import { syncGatewayPeers } from '../src/tunnel/components.js';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1]! : d;
};
const ADDS = Number(arg('adds', '40'));
const CLI_ADDS = Number(arg('cli-adds', '6'));
const SIZES = arg('sizes', '100,1000,10000').split(',').map(Number);
const REPO = path.resolve(new URL('..', import.meta.url).pathname);
// `--cli-js dist/src/cli/main.js` measures a compiled CLI (no tsx start-up); default: from source via tsx.
const CLI_JS = arg('cli-js', '');
const CLI = CLI_JS ? ['node', path.resolve(CLI_JS)] : ['node', '--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
const root = process.getuid?.() === 0;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(3));
}
const stats = (xs: number[]) => (xs.length ? { p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length } : null);

function rawKey(): { priv: string; pub: string } {
  const k = generateKeyPairSync('x25519');
  return {
    priv: k.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64'),
    pub: k.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64'),
  };
}

function configJson(iface: string): Record<string, any> {
  const md = readFileSync('/work/shared/seeds/privacy-router-tunnel.md', 'utf8');
  const json = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(md)![1]!);
  Object.assign(json.plugins.privacy_router.wireguard, { interface: iface, subnet: '10.64.0.0/16', endpoint: 'vpn.example.com:51820' });
  return json;
}

async function benchSize(n: number, scope: Scope, ns: string | null, iface: string) {
  const dir = mkdtempSync(path.join(tmpdir(), `pr-bench-${n}-`));
  const stateDir = path.join(dir, 'state');
  const cfgFile = path.join(dir, 'config.json');
  const cfgJson = configJson(iface);
  writeFileSync(cfgFile, JSON.stringify(cfgJson));
  const config = validateConfig(cfgJson, 'bench');
  const store = StateStore.open(stateDir, { create: true });
  const space = addressSpace('10.64.0.0/16');
  // Seed N clients (fast keys from node:crypto; the measured adds use the product path).
  store.tx(() => {
    for (let i = 0; i < n; i++) {
      const k = rawKey();
      insertClient(store.db, {
        name: `seed${i}`, address4: host4(space, i + 2), address6: null, hostIndex: i + 2, publicKey: k.pub, privateKey: k.priv,
        presharedKey: randomBytes(32).toString('base64'), dns: null, createdAt: new Date().toISOString(), expiresAt: null, enabled: true,
      });
    }
  });
  await ensureGatewayKeys(store);
  const backend = ns ? UserspaceBackend.forInterface(iface) : null;
  const svc = new ClientService(store, config, backend);
  let synced = null;
  if (backend) {
    // Fresh device state for this N: remove the previous size's peers, add this one's.
    const r = await syncGatewayPeers(svc, backend);
    synced = { added: r.added.length, removed: r.removed.length };
  }
  const inproc: number[] = [];
  for (let i = 0; i < ADDS; i++) {
    const t = performance.now();
    const r = await svc.add(`ip${i}`);
    inproc.push(performance.now() - t);
    if (backend && r.applied !== 'applied') throw new Error('peer not applied live');
  }
  // The wg-easy way on the same interface: whole config file + wg syncconf.
  const wgeasy: number[] = [];
  if (ns) {
    const exec = new NetnsExec(ns);
    const gw = await ensureGatewayKeys(store);
    const conf = path.join(dir, 'wg0.conf');
    const extras: ReturnType<typeof peerOf>[] = [];
    for (let i = 0; i < Math.min(ADDS, 20); i++) {
      const k = rawKey();
      const t = performance.now();
      // What wg-easy does per add: read all clients, render the whole file, write it, syncconf.
      const all = listClients(store.db).filter((c) => c.enabled).map(peerOf);
      extras.push({ publicKey: k.pub, presharedKey: randomBytes(32).toString('base64'), allowedIps: [`10.65.${Math.floor(i / 250)}.${(i % 250) + 1}/32`] });
      all.push(...extras);
      const text = [`[Interface]`, `PrivateKey = ${gw.privateKey}`, `ListenPort = 51820`, '',
        ...all.flatMap((p) => ['[Peer]', `PublicKey = ${p.publicKey}`, `PresharedKey = ${p.presharedKey}`, `AllowedIPs = ${p.allowedIps.join(', ')}`, ''])].join('\n');
      writeFileSync(conf, text, { mode: 0o600 });
      await exec.run(['wg', 'syncconf', iface, conf]);
      wgeasy.push(performance.now() - t);
    }
    // Put the device back to the store's view (drop the wg-easy extras) for the CLI runs.
    await syncGatewayPeers(svc, backend!);
  }
  store.close();
  // CLI end to end.
  const cliRuns: number[] = [];
  const base: number[] = [];
  const env: Record<string, string> = ns ? {} : { PRIVROUTE_WG_SOCKET_DIR: path.join(dir, 'none') };
  for (let i = 0; i < CLI_ADDS; i++) {
    let t = performance.now();
    await spawnArgv('local', [...CLI, '--version'], { okCodes: [0, 1], env });
    base.push(performance.now() - t);
    t = performance.now();
    const r = await spawnArgv('local', [...CLI, '--config', cfgFile, '--state-dir', stateDir, 'add-client', `cli${i}`], { env, timeoutMs: 120_000 });
    cliRuns.push(performance.now() - t);
    if (ns && /warning/.test(r.stderr)) throw new Error(`cli add was not applied live: ${r.stderr}`);
  }
  const peersLive = backend ? (await backend.get()).peers.length : null;
  rmSync(dir, { recursive: true, force: true });
  return {
    existing_clients: n,
    peers_on_interface_after: peersLive,
    sync_before: synced,
    inprocess_add_ms: stats(inproc),
    cli_add_ms: stats(cliRuns),
    cli_startup_only_ms: stats(base),
    wg_easy_rewrite_syncconf_ms: stats(wgeasy),
  };
}

async function main() {
  const p = uniquePrefix('pr');
  const scope = new Scope(p);
  const iface = `${p}b`;
  let ns: string | null = null;
  try {
    if (root) {
      ns = `${p}b`;
      await createNetns(scope, ns);
      scope.defer('socket', () => rmSync(uapiSocketPath(iface), { force: true }));
      await startProcess(scope, { name: 'wg', argv: ['wireguard-go', '-f', iface], ns, env: { LOG_LEVEL: 'error' } });
      await waitFor('uapi', () => UserspaceBackend.forInterface(iface).get().then(() => true, () => false));
    }
    const results = [];
    for (const n of SIZES) results.push(await benchSize(n, scope, ns, iface));
    const first = results[0]!.inprocess_add_ms!.p50;
    const last = results.at(-1)!.inprocess_add_ms!.p50;
    const out = {
      bench: 'tunnel-add-client',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg_1m: Number(loadavg()[0]!.toFixed(2)), node: process.version },
      cli: CLI_JS ? `compiled: node ${CLI_JS}` : 'from source: node --import tsx src/cli/main.ts',
      live_interface: ns ? 'wireguard-go (UAPI) in a private namespace' : null,
      adds_per_size: { inprocess: ADDS, cli: CLI_ADDS, wg_easy: Math.min(ADDS, 20) },
      results,
      targets: {
        inprocess_p50_at_largest_ms: last,
        inprocess_p50_at_largest_le_10ms: last <= 10,
        flatness_p50_largest_over_smallest: Number((last / first).toFixed(3)),
        flatness_le_1_5: last / first <= 1.5,
      },
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    await scope.close();
  }
}

await main();
