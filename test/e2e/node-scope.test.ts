/**
 * End to end: privroute on a node that also routes other guests (issue 11 items
 * 7 and 15). A foreign guest namespace is routed through the lab's node before
 * the first `privroute init`, the way a Proxmox node routes its NATed/routed
 * guests; it must keep forwarding before, during and after init (privroute adds
 * only rules scoped to its own interfaces, never a host-wide FORWARD policy),
 * while the chain's witnesses still count 0 leaked packets with a hop down.
 * The node's INPUT is closed to traffic arriving on warp0 (CT101 cannot reach
 * the node's own services), and `status` reports a rule of ours that a foreign
 * ACCEPT now precedes, or that is missing.
 */
import test from 'ava';
import { labDown, labUp, labNs, type Lab } from '../../src/lab/lab.js';
import { labIfnames } from '../../src/lab/lab-config.js';
import { siteAddr } from '../../src/lab/world.js';
import { createNetns, isWireguardGoFor, pidsWhere, sleep, startProcess, uniquePrefix, vethPair, waitFor, type Proc } from '../../src/lab/harness/index.js';
import type { NetnsExec } from '../../src/host/netns.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';
import { statusFromJson } from '../helpers/status-json.js';
import { assertNoLeak, chainWitnesses, clientTraffic, proveChainEventually } from './witness.js';

const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'tcpdump', 'dnsmasq', 'curl', 'dig', 'ping'),
);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('ns');
/** The wan router's address on the node's link: what the guest pings (never the internet namespace, a chain witness). */
const ROUTER = siteAddr('node', 1).v4;
let lab: Lab;
let guest: NetnsExec;
let loop: Proc;
let before = { ok: false, out: '' };

/** Replies and losses in a `ping -O` log. */
function pingCounts(log: string): { replies: number; lost: number } {
  return { replies: (log.match(/bytes from/g) ?? []).length, lost: (log.match(/no answer yet/g) ?? []).length };
}

test.before(async () => {
  if (skip) return;
  lab = await labUp({
    prefix,
    log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`),
    beforeInit: async (world, scope) => {
      // A routed guest, as Proxmox routes one: its own subnet on a node link, forwarding on.
      guest = await createNetns(scope, 'guest');
      await vethPair(scope, { ns: world.node.name, name: 'gst0', cidr: '192.168.77.1/24' }, { ns: guest.name, name: 'eth0', cidr: '192.168.77.2/24' });
      await guest.run(['ip', 'route', 'add', 'default', 'via', '192.168.77.1']);
      await world.wan.run(['ip', 'route', 'add', '192.168.77.0/24', 'via', siteAddr('node').v4]);
      await world.node.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      const r = await guest.run(['ping', '-c', '2', '-i', '0.2', '-W', '2', ROUTER], { okCodes: [0, 1] });
      before = { ok: r.code === 0, out: r.stdout };
      // Runs through init, add-client and the client's bring-up; -O reports every lost reply.
      loop = await startProcess(scope, { name: 'guest-ping', ns: guest.name, argv: ['ping', '-O', '-i', '0.1', '-W', '1', ROUTER] });
    },
  });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
});

t('11.7: a foreign guest routed through the node forwards before, during and after init', async (tt) => {
  tt.true(before.ok, `before init the guest forwards:\n${before.out}`);
  await loop.stop();
  const during = pingCounts(loop.log());
  tt.true(during.replies > 0, `the loop ran during init:\n${loop.log().slice(-500)}`);
  tt.is(during.lost, 0, `no guest packet lost while init ran:\n${loop.log().split('\n').filter((l) => /no answer/.test(l)).slice(0, 5).join('\n')}`);
  const after = await guest.run(['ping', '-c', '2', '-i', '0.2', '-W', '2', ROUTER], { okCodes: [0, 1] });
  tt.is(after.code, 0, `after init the guest forwards:\n${after.stdout}`);
  // The host-wide policy is left as the node had it.
  tt.regex((await lab.world.node.run(['iptables', '-w', '-S', 'FORWARD'])).stdout, /^-P FORWARD ACCEPT$/m);
  tt.regex((await lab.world.node.run(['ip6tables', '-w', '-S', 'FORWARD'])).stdout, /^-P FORWARD ACCEPT$/m);
});

t('11.7: with the node forwarding for a guest, the chain still proves itself and leaks nothing with the WARP tunnel down', async (tt) => {
  const p = await proveChainEventually(lab.world);
  tt.true(p.ok, `chain: ${JSON.stringify(p)}`);
  const caps = await chainWitnesses(lab.scope, lab.world);
  for (const pid of pidsWhere(isWireguardGoFor(labIfnames(prefix).warp))) process.kill(pid, 'SIGKILL');
  await sleep(300);
  const during = await clientTraffic(lab.world.client);
  tt.false(during.httpOk, 'the chain fails closed while WARP is down');
  const g = await guest.run(['ping', '-c', '2', '-i', '0.2', '-W', '2', ROUTER], { okCodes: [0, 1] });
  tt.is(g.code, 0, 'the guest still forwards while the chain is down');
  await assertNoLeak(tt, caps);
  const init = await lab.privroute(['init'], { okCodes: [0, 1] });
  tt.is(init.code, 0, init.stderr);
  tt.true((await proveChainEventually(lab.world)).ok);
});

t('11.15: node INPUT is closed to traffic arriving on warp0 (CT101 cannot reach the node), open to others', async (tt) => {
  const node = lab.world.node;
  const listener = await startProcess(lab.scope, { name: 'node-listener', ns: node.name, argv: ['python3', '-u', '-m', 'http.server', '7777', '--bind', '0.0.0.0', '--directory', lab.scope.dir] });
  try {
    await waitFor('node listener', async () => (await node.run(['ss', '-ltn'])).stdout.includes(':7777 '));
    const curl = (ns: NetnsExec, url: string) => ns.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', url], { okCodes: [0, 7, 28] });
    // Controls: the listener answers on the node and to the routed guest.
    tt.is((await curl(node, 'http://127.0.0.1:7777/')).stdout, '200');
    tt.is((await curl(guest, 'http://192.168.77.1:7777/')).stdout, '200');
    const ct101 = labNs(prefix, 'ct101');
    const r = await curl(ct101, 'http://10.77.0.1:7777/');
    tt.not(r.stdout, '200', 'CT101 must not reach the node over warp0');
    tt.not(r.code, 0);
  } finally {
    await listener.stop();
  }
});

t('11.15: status reports a rule of ours preceded by a foreign ACCEPT, and a missing one; init restores the missing one', async (tt) => {
  const node = lab.world.node;
  const firewall = async () => {
    const st = await lab.privroute(['status', '--json', '--warp-trace-url', `http://${siteAddr('inet').v4}:8080/cdn-cgi/trace`], { okCodes: [0, 1] });
    // `status --json` may exit 1 here; stdout is still the one report document.
    const warp = statusFromJson(st.stdout).hops.find((h) => h.hop === 'warp');
    return warp?.checks.find((c) => c.name === 'warp.firewall');
  };
  const clean = await firewall();
  tt.true(clean?.ok, `converged: ${JSON.stringify(clean)}`);
  await node.run(['iptables', '-w', '-I', 'FORWARD', '1', '-i', 'warp0', '-j', 'ACCEPT']);
  const drift = await firewall();
  tt.false(drift?.ok);
  tt.regex(drift?.detail ?? '', /after a foreign rule/);
  await node.run(['iptables', '-w', '-D', 'FORWARD', '-i', 'warp0', '-j', 'ACCEPT']);
  // One of ours removed by hand.
  const ours = (await node.run(['iptables', '-w', '-S', 'FORWARD'])).stdout.split('\n').find((l) => l.includes('privroute/warp:') && l.includes('-i warp0'));
  tt.truthy(ours, 'a FORWARD rule of ours for warp0');
  await node.run(['iptables', '-w', '-D', ...ours!.split(' ').slice(1).map((x) => x.replace(/^"|"$/g, ''))]);
  const missing = await firewall();
  tt.false(missing?.ok);
  tt.regex(missing?.detail ?? '', /missing/);
  const init = await lab.privroute(['init'], { okCodes: [0, 1] });
  tt.is(init.code, 0, init.stderr);
  tt.true((await firewall())?.ok);
});
