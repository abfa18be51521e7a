/**
 * Issue 11 item 2: the client pins the VPS's own certificate and trusts
 * nothing else. A certificate for the VPS address signed by a CA that the
 * client's *system* trusts (SSL_CERT_FILE for the v2ray process, read by Go's
 * crypto/x509 as the system roots) must be refused.
 *
 * Real Debian v2ray on both ends, in one private namespace: the server serves
 * either the pinned certificate (control) or the rogue one; the client is the
 * product's rendered config, including the outbound rotation adds.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, createNetns, startProcess, uniquePrefix, waitFor, type Proc } from '../../../src/lab/harness/index.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { renderClient, type ClientRenderInput } from '../../../src/xray/render/client.js';
import { renderServer } from '../../../src/xray/render/server.js';
import { outboundTag, serialize } from '../../../src/xray/render/common.js';
import { addTlsOutbound, removeOutbound } from '../../../src/xray/api/handler.js';
import { newMaterial } from '../../../src/xray/secrets.js';
import type { EngineInfo } from '../../../src/xray/types.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('v2ray', 'openssl', 'curl', 'python3'));
const serial = skip ? test.skip : test.serial;

const VPS = '198.18.9.1';
const WEB = '198.18.9.2';
const V2RAY: EngineInfo = { kind: 'v2ray', version: '4.34.0', binary: 'v2ray', banner: 'V2Ray 4.34.0' };
const scope = skip ? undefined : new Scope(uniquePrefix('pin'));
const material = newMaterial({ vpsAddress: VPS });
let ns: NetnsExec;
let rogue: { ca: string; cert: string; key: string };
let server: Proc | undefined;
let servers = 0;

const file = (name: string, content: string) => {
  const p = path.join(scope!.dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
};

/** A CA and a leaf for the VPS address (IP SAN) signed by it, made with openssl. */
async function makeRogueCa(): Promise<{ ca: string; cert: string; key: string }> {
  const d = scope!.dir;
  const o = (...a: string[]) => ns.run(['openssl', ...a]);
  await o('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=rogue system CA',
    '-keyout', `${d}/ca.key`, '-out', `${d}/ca.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  await o('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${VPS}`, '-keyout', `${d}/rogue.key`, '-out', `${d}/rogue.csr`);
  writeFileSync(`${d}/rogue.ext`, `subjectAltName=IP:${VPS}\nextendedKeyUsage=serverAuth\n`);
  await o('x509', '-req', '-in', `${d}/rogue.csr`, '-CA', `${d}/ca.crt`, '-CAkey', `${d}/ca.key`, '-CAcreateserial', '-days', '2',
    '-extfile', `${d}/rogue.ext`, '-out', `${d}/rogue.crt`);
  return { ca: `${d}/ca.crt`, cert: `${d}/rogue.crt`, key: `${d}/rogue.key` };
}

async function startServer(certFile: string, keyFile: string): Promise<void> {
  await server?.stop();
  const cfg = renderServer({
    profile: 'vless-tls', engine: V2RAY, port: 8443, material, apiPort: 10086, upstreamDns: WEB, certFile, keyFile,
    realityTarget: '', serverNames: [], minClientVer: '',
  });
  server = await startProcess(scope!, { name: `server-${path.basename(certFile, '.crt')}-${++servers}`, ns: ns.name, argv: ['v2ray', '-config', file('server.json', serialize(cfg))] });
  await waitFor('server listening', async () => (await ns.run(['ss', '-ltn'])).stdout.includes(`:8443 `));
}

function clientInput(): ClientRenderInput {
  return {
    profile: 'vless-tls', engine: V2RAY, vpsAddress: VPS, vpsPort: 8443, material, socketIp: '127.0.0.1', socksPort: 1081,
    transparentPort: 12346, dnsPort: 5354, upstreamDns: WEB, apiPort: 10087, mark: 0,
    certFile: file('pinned.crt', material.tls.certPem), realityServerName: '', udp: false,
  };
}

/** Start a client (the given config) with the rogue CA as its system roots; fetch through its SOCKS. */
async function fetchThrough(name: string, cfg: object, meanwhile?: () => Promise<void>): Promise<string> {
  const client = await startProcess(scope!, {
    name, ns: ns.name, argv: ['v2ray', '-config', file(`${name}.json`, serialize(cfg as never))],
    env: { SSL_CERT_FILE: rogue.ca, SSL_CERT_DIR: path.join(scope!.dir, 'no-such-dir') },
  });
  try {
    await waitFor('client socks', async () => (await ns.run(['ss', '-ltn'])).stdout.includes('127.0.0.1:1081 '));
    await meanwhile?.();
    const r = await ns.run(['curl', '--socks5-hostname', '127.0.0.1:1081', '-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${WEB}/`], { okCodes: Array.from({ length: 100 }, (_, i) => i) });
    return r.stdout;
  } finally {
    await client.stop();
  }
}

test.before(async () => {
  if (!scope) return;
  ns = await createNetns(scope, 'pin');
  for (const a of [VPS, WEB]) await ns.run(['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo']);
  await startProcess(scope, { name: 'web', ns: ns.name, argv: ['python3', '-m', 'http.server', '80', '--bind', WEB, '--directory', scope.dir] });
  await waitFor('web', async () => (await ns.run(['ss', '-ltn'])).stdout.includes(`${WEB}:80 `));
  rogue = await makeRogueCa();
});

test.after.always(async () => {
  await scope?.close();
});

serial('control: the pinned certificate is accepted', async (t) => {
  await startServer(file('pinned-server.crt', material.tls.certPem), file('pinned-server.key', material.tls.keyPem));
  t.is(await fetchThrough('client-pinned', renderClient(clientInput())), '200');
});

serial('a certificate for the VPS address from a CA the system trusts is refused (config and rotation outbound)', async (t) => {
  // Check the rogue chain really is valid for the VPS address under the rogue roots.
  const v = await ns.run(['openssl', 'verify', '-CAfile', rogue.ca, rogue.cert]);
  t.regex(v.stdout, /OK/);
  await startServer(rogue.cert, rogue.key);
  t.not(await fetchThrough('client-rogue', renderClient(clientInput())), '200');
  // The outbound rotation hot-adds through the engine API must pin the same way:
  // add generation 2's outbound, remove generation 1's, then fetch through it.
  const i = clientInput();
  const swap = async () => {
    await addTlsOutbound(ns, V2RAY, i.apiPort, {
      tag: outboundTag(2), address: VPS, port: i.vpsPort, user: material.clientUser, serverName: VPS, certPem: material.tls.certPem, mark: 0,
    });
    await removeOutbound(ns, V2RAY, i.apiPort, outboundTag(1));
  };
  t.not(await fetchThrough('client-rogue-rot', renderClient(i), swap), '200');
  // Control for the swap itself: the hot-added outbound does carry traffic to the pinned server.
  await startServer(file('pinned-server.crt', material.tls.certPem), file('pinned-server.key', material.tls.keyPem));
  t.is(await fetchThrough('client-pinned-rot', renderClient(i), swap), '200');
});
