/**
 * Support for the WARP API STAND-IN (warp-api.ts): its throw-away CA and server
 * certificate (openssl, argv only, private 0700 dir) and its process arguments.
 * Lab/test code only.
 */
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../host/local.js';
import type { WarpApiStandinOptions } from './warp-api.js';

/** Make a CA and a server certificate for `names` with openssl (argv only) in `dir`. */
export async function makeCertificate(dir: string, names: string[]): Promise<{ key: Buffer; cert: Buffer; caFile: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const f = (n: string): string => path.join(dir, n);
  const o = (argv: string[]): Promise<unknown> => spawnArgv('local', ['openssl', ...argv]);
  await o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-days', '2', '-subj', '/CN=privroute WARP API stand-in CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=api.cloudflareclient.com']);
  const san = [...new Set(['api.cloudflareclient.com', 'localhost', ...names])]
    .map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`))
    .join(',');
  writeFileSync(f('server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`, { mode: 0o600 });
  await o(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext')]);
  return { key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), caFile: f('ca.pem') };
}

/**
 * Parse the process arguments (pure): either `--config <file.json>` (the
 * {@link WarpApiStandinOptions} minus `edge`, plus `edgeInterface`), or flags:
 * `--listen host:port --peer-pubkey K --endpoint host:port [--endpoint-v4 ip]
 * [--endpoint-v6 ip] [--dir D] [--edge-iface wg] [--license L]... [--pool-v4 p.] [--version v]`.
 */
export function parseMainArgs(argv: string[], readConfig: (f: string) => string = (f) => readFileSync(f, 'utf8')): WarpApiStandinOptions & { edgeInterface?: string } {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!;
    if (!k.startsWith('--') || argv[i + 1] === undefined) throw new Error(`usage: warp-api.ts --config <file.json> | --listen host:port --peer-pubkey K --endpoint host:port ... (bad argument ${JSON.stringify(k)})`);
    flags.set(k, [...(flags.get(k) ?? []), argv[i + 1]!]);
  }
  const one = (k: string): string | undefined => flags.get(k)?.at(-1);
  if (one('--config')) return JSON.parse(readConfig(one('--config')!)) as WarpApiStandinOptions & { edgeInterface?: string };
  const listen = one('--listen');
  const peer = one('--peer-pubkey');
  const endpoint = one('--endpoint');
  if (!listen || !peer || !endpoint) throw new Error('usage: --listen host:port --peer-pubkey K --endpoint host:port are required (or --config)');
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen: expected host:port, got ${listen}`);
  const v4 = one('--endpoint-v4');
  const v6 = one('--endpoint-v6');
  return {
    dir: one('--dir') ?? path.join('/run/privroute-lab', `warp-api-${process.pid}`),
    host: m[1] ?? m[2],
    port: Number(m[3]),
    peerPublicKey: peer,
    endpoint: { host: endpoint, ...(v4 ? { v4: `${v4}:0` } : {}), ...(v6 ? { v6: `[${v6}]:0` } : {}) },
    ...(one('--pool-v4') ? { poolV4: one('--pool-v4') } : {}),
    ...(one('--version') ? { version: one('--version') } : {}),
    validLicenses: flags.get('--license') ?? [],
    ...(one('--edge-iface') ? { edgeInterface: one('--edge-iface') } : {}),
  };
}

