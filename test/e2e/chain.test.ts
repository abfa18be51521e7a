/**
 * End to end: the whole chain in the lab, then each hop taken down in turn.
 * While a hop is down nothing from the client may reach the internet except
 * through the VPS (tcpdump counts of 0, each capture proven live by a control
 * packet), IPv6 included; `privroute init` then repairs the hop and the chain
 * proves itself again.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { labDown, labUp, type Lab } from '../../src/lab/lab.js';
import type { ChainProof } from '../../src/lab/proof.js';
import { labIfnames } from '../../src/lab/lab-config.js';
import { siteAddr } from '../../src/lab/world.js';
import { isWireguardGoFor, pidsWhere, sleep, uniquePrefix } from '../../src/lab/harness/index.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';
import { statusFromJson } from '../helpers/status-json.js';
import { assertNoLeak, chainWitnesses, clientTraffic, proveChainEventually } from './witness.js';

const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'tcpdump', 'dnsmasq', 'curl', 'dig'),
);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('e');
let lab: Lab;

const VPS = siteAddr('vps');
const EDGE = siteAddr('edge');

test.before(async () => {
  if (skip) return;
  lab = await labUp({ prefix, log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
});

/** Prove the chain, retrying while WireGuard re-handshakes after a repair. */
async function proveEventually(): Promise<ChainProof> {
  return proveChainEventually(lab.world);
}

const witnesses = () => chainWitnesses(lab.scope, lab.world);

/** Kill a process by exact argv match (our lab's unique names) or by pid file. */
function killWireguardGo(iface: string): number {
  const pids = pidsWhere(isWireguardGoFor(iface));
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}
function killPidFile(file: string): void {
  process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
}

t('the chain works: web sees the VPS, the VPS sees the WARP edge, DNS goes through the chain', async (tt) => {
  const p = await proveEventually();
  tt.true(p.http.ok, `http ${p.http.status}`);
  tt.is(p.http.exitAddress, VPS.v4);
  tt.true(p.vpsPeers.includes(EDGE.v4), `VPS peers: ${p.vpsPeers.join(', ')}`);
  tt.true(p.dns.ok, `dns answer ${p.dns.answer}`);
  tt.true(p.dns.resolverSawFrom.length > 0 && p.dns.resolverSawFrom.every((a) => a === VPS.v4), `resolver saw ${p.dns.resolverSawFrom.join(', ')}`);
  const plan = await lab.privroute(['plan']);
  tt.regex(plan.stdout, /nothing to change/);
});

t('management SSH leaves through the chain once it is up: the VPS sshd sees only the WARP edge (issue 11.16)', async (tt) => {
  const sshdLog = path.join(lab.scope.dir, 'sshd-vps-sshd.log');
  const mark = readFileSync(sshdLog, 'utf8').length;
  await lab.privroute(['init']); // observes the VPS over SSH
  const st = await lab.privroute(['status', '--json'], { okCodes: [0, 1] }); // the health probes reach the VPS too
  const froms = [...readFileSync(sshdLog, 'utf8').slice(mark).matchAll(/Connection from (\S+) port \d+/g)].map((m) => m[1]);
  tt.true(froms.length >= 2, `sshd connections after init: ${froms.join(', ')}`);
  tt.deepEqual([...new Set(froms)], [EDGE.v4], 'every management connection arrives from the WARP edge, none from the node');
  const mgmt = statusFromJson(st.stdout).hops.flatMap((h) => h.checks).find((c) => c.name === 'xray.mgmt_ssh');
  tt.true(mgmt?.ok, mgmt?.detail);
});

t('a 2 MiB download passes whole (full-size packets are not black-holed on any hop)', async (tt) => {
  // The web root is the lab dir: full-MTU segments must cross every hop towards the client.
  writeFileSync(path.join(lab.scope.dir, 'big.bin'), randomBytes(2 * 1024 * 1024));
  const r = await lab.world.client.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{size_download}', '--max-time', '30', `http://${siteAddr('inet').v4}/big.bin`], { okCodes: [0, 28] });
  tt.is(r.stdout, String(2 * 1024 * 1024));
});

t('with every hop up, client UDP, ICMP and IPv6 still never leave except through the VPS', async (tt) => {
  const caps = await witnesses();
  await clientTraffic(lab.world.client);
  await assertNoLeak(tt, caps);
});

const faults: [string, () => Promise<void>][] = [
  ['the WireGuard gateway', async () => void killWireguardGo(labIfnames(prefix).gateway)],
  ['the XRay client', async () => killPidFile(path.join(lab.dir, 'ct101-files/run/privroute-xray-client.pid'))],
  ['the WARP tunnel', async () => void killWireguardGo(labIfnames(prefix).warp)],
  ['the VPS engine', async () => killPidFile(path.join(lab.dir, 'vps-files/run/privroute-xray.pid'))],
  ['ovs-vswitchd (restart)', () => lab.ovs.restartVswitchd()],
];

for (const [hop, inflict] of faults) {
  t(`${hop} down: nothing leaks; privroute init repairs it`, async (tt) => {
    const caps = await witnesses();
    await inflict();
    await sleep(300);
    const during = await clientTraffic(lab.world.client);
    tt.false(during.httpOk, 'traffic must fail closed while the hop is down');
    await assertNoLeak(tt, caps);
    const init = await lab.privroute(['init'], { okCodes: [0, 1] });
    tt.is(init.code, 0, `init must converge:\n${init.stderr}`);
    await lab.reattachAccess();
    const p = await proveEventually();
    tt.true(p.ok, `after init: ${JSON.stringify(p)}`);
    const again = await lab.privroute(['plan']);
    tt.regex(again.stdout, /nothing to change/, 'a second look finds the node converged');
  });
}
