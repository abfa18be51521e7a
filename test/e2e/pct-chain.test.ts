/**
 * End to end on the pct runtime: the REAL `privroute init` with runtime.kind = "pct" against
 * unprivileged LXC containers (the pct stand-in over Debian's lxc), created from a bare Debian
 * template, their engines fetched by the node and pushed in. The chain proves itself; a second
 * init changes nothing; then CT101 is restarted with `pct stop 101 && pct start 101` and the
 * chain comes back through the Proxmox hookscript alone (no daemon, no init), with nothing
 * leaking while it is down.
 */
import test from 'ava';
import { labDown, labUp, type Lab } from '../../src/lab/lab.js';
import { proveChain, type ChainProof } from '../../src/lab/proof.js';
import { siteAddr } from '../../src/lab/world.js';
import { inNodeNet } from '../../src/lab/pct-standin.js';
import { sleep, uniquePrefix } from '../../src/lab/harness/index.js';
import { spawnArgv } from '../../src/host/local.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';
import { chainWitnesses, clientTraffic } from './witness.js';

// Opt-in (PRIVROUTE_E2E_PCT=1): about 8 minutes with the template cached, more when it must be
// built, on top of a suite kept under 30 minutes. It passed on the final main of 2026-11-30
// (README, Proxmox row of the stand-ins table).
const skip = skipUnless(
  process.env.PRIVROUTE_E2E_PCT === '1' ? null : 'pct-chain e2e is opt-in (PRIVROUTE_E2E_PCT=1; about 8 minutes)',
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('lxc-start', 'lxc-usernsexec', 'debootstrap', 'zstd', 'ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'tcpdump', 'dnsmasq', 'curl', 'dig'),
);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('x');
let lab: Lab;
const VPS = siteAddr('vps');

test.before(async () => {
  if (skip) return;
  lab = await labUp({ prefix, runtime: 'pct', log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
});

/** `pct …` on the lab's node (its network namespace, this machine's mounts), as an operator would. */
function pct(args: string[], okCodes = [0]) {
  return spawnArgv('node', [...inNodeNet(lab.world.node.name), 'pct', ...args], { env: lab.pctEnv, okCodes, timeoutMs: 300_000 });
}

/** Prove the chain, retrying while WireGuard re-handshakes; the time of the first success. */
async function proveEventually(tries = 40): Promise<{ proof: ChainProof; at: number }> {
  let p = await proveChain(lab.world, { dnsServer: '10.13.13.1', timeoutSec: 3 });
  for (let i = 0; i < tries && !p.ok; i++) {
    await sleep(250);
    p = await proveChain(lab.world, { dnsServer: '10.13.13.1', timeoutSec: 3 });
  }
  return { proof: p, at: Date.now() };
}

t('init on pct: unprivileged LXC containers from the template, engines installed from the node, the chain proven', async (tt) => {
  const { proof } = await proveEventually();
  tt.true(proof.ok, JSON.stringify(proof));
  tt.is(proof.http.exitAddress, VPS.v4);
  for (const id of [100, 101]) {
    const conf = (await pct(['config', String(id)])).stdout;
    tt.regex(conf, /^unprivileged: 1$/m);
    tt.regex(conf, /^onboot: 1$/m);
    tt.regex(conf, /^hookscript: local:snippets\/privroute-hook\.sh$/m);
    tt.notRegex(conf, /^net\d+:/m, 'no network of its own');
    tt.is((await pct(['exec', String(id), '--', 'cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/).join(' '), '0 100000 65536');
  }
  tt.regex((await pct(['config', '100'])).stdout, /^dev0: \/dev\/net\/tun$/m);
  // What the node pushed in: the gateway's tools in CT100, the engine in CT101.
  tt.is((await pct(['exec', '100', '--', 'dpkg-query', '-W', '-f', '${Status}', 'wireguard-go'])).stdout, 'install ok installed');
  tt.is((await pct(['exec', '101', '--', 'dpkg-query', '-W', '-f', '${Status}', 'v2ray'])).stdout, 'install ok installed');
});

t('a second init changes nothing (nothing installed, nothing created)', async (tt) => {
  const init = await lab.privroute(['init']);
  tt.regex(init.stdout, /nothing to change/, init.stderr);
});

t('pct stop 101 && pct start 101: nothing leaks while it is down; the hookscript alone brings the chain back', async (tt) => {
  const w = lab.world;
  // The lab's standard witnesses: they exclude the node's own management traffic
  // (SSH to the VPS, its netclient polling the Netmaker server stand-in), which is not client traffic.
  const caps = await chainWitnesses(lab.scope, w);
  await pct(['stop', '101']);
  const during = await clientTraffic(w.client);
  tt.false(during.httpOk, 'traffic fails closed while CT101 is down');
  for (const c of caps) {
    const r = await c.finish();
    tt.true(r.control >= 1, 'the capture saw its control packet');
    tt.is(r.leaks, 0, r.lines.join('\n'));
  }
  const t0 = Date.now();
  const start = await pct(['start', '101']);
  const hookDone = Date.now();
  tt.notRegex(start.stderr, /hookscript error/, start.stderr);
  const { proof, at } = await proveEventually();
  tt.true(proof.ok, `after pct start (hookscript only): ${JSON.stringify(proof)}`);
  // Reported, never asserted (README: "container restart").
  tt.log(`pct start 101 returned (post-start hook done) after ${hookDone - t0} ms; chain proven ${at - t0} ms after pct start`);
  process.stderr.write(`[lab ${prefix}] MEASURED pct start 101 → hook done ${hookDone - t0} ms, chain proven ${at - t0} ms\n`);
  const plan = await lab.privroute(['plan']);
  tt.regex(plan.stdout, /nothing to change/, 'the hook left the node converged');
});
