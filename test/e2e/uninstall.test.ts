/**
 * End to end (issue 12, "the node is left as it was"): deploy/install.sh under a test root,
 * the REAL `privroute init` in the lab's node namespace (its own private ovsdb-server and
 * ovs-vswitchd, WARP tunnel, ingress, mesh), then deploy/uninstall.sh, run inside the node
 * namespace with the lab's config: it calls `privroute teardown`. The node's networking is
 * snapshotted (test/helpers/node-snapshot.ts: links, ip rules, routes v4+v6, iptables and
 * ip6tables, OVSDB bridges/ports/interfaces and flows) before init and after the uninstall:
 * the two must be equal. The node carries foreign state from before init (a veth pair with
 * addresses, ip rules, routes, iptables/ip6tables rules, an OVS bridge with a port and a
 * flow) that must survive. After init the snapshot must differ (the test can fail), and a
 * dry run must change nothing. A second teardown changes nothing. Never the root namespace.
 */
import test from 'ava';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, type Lab } from '../../src/lab/lab.js';
import { labIfnames } from '../../src/lab/lab-config.js';
import { isWireguardGoFor, pidsWhere, uniquePrefix, waitFor, type OvsInstance } from '../../src/lab/harness/index.js';
import { spawnArgv } from '../../src/host/local.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';
import { nodeSnapshot, snapshotDiff } from '../helpers/node-snapshot.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'tcpdump', 'dnsmasq', 'curl', 'npm', 'systemctl'),
);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('un');
const work = mkdtempSync(path.join(os.tmpdir(), 'privroute-uninstall-'));
const root = path.join(work, 'root');
let lab: Lab | undefined;
let ovs: OvsInstance;
let before: string[] = [];

test.before(async () => {
  if (skip) return;
  // The program under a test root (built from this checkout: the teardown that uninstall.sh runs is the installed one).
  mkdirSync(path.join(root, 'opt'), { recursive: true });
  const inst = await spawnArgv('local', ['bash', path.join(REPO, 'deploy/install.sh'), '--root', root], { timeoutMs: 1_500_000, okCodes: [0, 1, 2] });
  if (inst.code !== 0) throw new Error(`install.sh failed:\n${inst.stdout}${inst.stderr}`);
  lab = await labUp({
    prefix,
    log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`),
    beforeInit: async (world, _scope, o) => {
      const n = world.node;
      ovs = o;
      // Foreign state a node already has: none of it is privroute's, all of it must survive.
      for (const argv of [
        ['ip', 'link', 'add', 'fdummy0', 'type', 'veth', 'peer', 'name', 'fdummy1'],
        ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'fdummy0'],
        ['ip', '-6', 'addr', 'add', 'fd00:77::1/64', 'dev', 'fdummy0', 'nodad'],
        ['ip', 'link', 'set', 'fdummy0', 'up'],
        ['ip', 'link', 'set', 'fdummy1', 'up'],
        ['ip', 'rule', 'add', 'priority', '6000', 'from', '192.0.2.0/24', 'lookup', '100'],
        ['ip', '-6', 'rule', 'add', 'priority', '6000', 'from', 'fd00:77::/64', 'lookup', '100'],
        ['ip', 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.2', 'table', '100'],
        ['ip', '-6', 'route', 'add', 'fd00:88::/64', 'via', 'fd00:77::2', 'table', '100'],
        ['ip', 'route', 'add', 'blackhole', '203.0.113.0/24'],
        ['iptables', '-w', '-A', 'FORWARD', '-i', 'fdummy0', '-m', 'comment', '--comment', 'foreign-guest', '-j', 'ACCEPT'],
        ['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '192.0.2.0/24', '-o', 'up0', '-j', 'MASQUERADE'],
        ['ip6tables', '-w', '-A', 'INPUT', '-i', 'fdummy0', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT'],
        // The node already forwards IPv4 (as a node routing guests does) and not IPv6: init turns
        // IPv6 forwarding on (the chain has an IPv6 subnet), and teardown must put it back (the
        // value init recorded before its first change), and with it the kernel's subnet-router
        // anycast routes in table local go again; IPv4 forwarding must stay on.
        ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
        ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=0'],
      ]) await n.run(argv);
      // The veth pair's link-local addresses (and their routes in table local) arrive after DAD:
      // wait for them, or the BEFORE snapshot would miss what the node has a moment later.
      for (const dev of ['fdummy0', 'fdummy1']) {
        await waitFor(`${dev} link-local address`, async () => {
          const out = (await n.run(['ip', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link'])).stdout;
          return /inet6 fe80::/.test(out) && !/tentative/.test(out);
        }, 15_000);
      }
      await ovs.addBridge('fbr0');
      await ovs.vsctl(['add-port', 'fbr0', 'fport0', '--', 'set', 'Interface', 'fport0', 'type=internal', 'external_ids:owner=someone-else']);
      await ovs.ofctl(['-O', 'OpenFlow13', 'add-flow', `unix:${ovs.mgmtSocket('fbr0')}`, 'table=0,priority=10,arp,actions=drop']);
      before = await nodeSnapshot(n, ovs);
    },
  });
});

test.after.always(async () => {
  if (!skip) await labDown(prefix);
  rmSync(work, { recursive: true, force: true });
});

/** Run deploy/uninstall.sh inside the node namespace (where privroute ran), with the lab's config and state. */
function uninstall(extra: string[] = []) {
  return spawnArgv('local', ['ip', 'netns', 'exec', lab!.world.node.name, 'bash', path.join(root, 'opt/privroute/deploy/uninstall.sh'), '--root', root, '--config', lab!.configFile, '--state-dir', lab!.stateDir, ...extra], {
    timeoutMs: 600_000,
    okCodes: [0, 1, 2],
  });
}

t('init changes the node; a teardown dry run plans the removal and changes nothing', async (tt) => {
  const mid = await nodeSnapshot(lab!.world.node, ovs);
  const diff = snapshotDiff(before, mid);
  // What init added, so that an empty diff after the uninstall means something.
  for (const want of [/^\+ sysctl net\.ipv6\.conf\.all\.forwarding=1$/, /^\+ ovsdb bridge ovsbr0 /, /^\+ iptables filter -N PRIVROUTE-WARP$/, /^\+ ip6tables filter -N PRIVROUTE-WARP$/, /^\+ iptables filter -N PRIVROUTE-INGRESS$/, /^\+ rule -4 5077:/, /^\+ rule -6 5077:/, /^\+ route -4 blackhole default table 51820/, /^\+ flow ovsbr0 /, new RegExp(`^\\+ link ${labIfnames(prefix).warp} `)]) {
    tt.true(diff.some((l) => want.test(l)), `after init the node shows ${want}:\n${diff.join('\n')}`);
  }
  const dry = await lab!.privroute(['teardown', '--dry-run', '--json'], { okCodes: [0, 1] });
  tt.is(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { changes: number; components: { name: string; changes: string[] }[] };
  tt.true(plan.changes > 0);
  tt.deepEqual(plan.components.map((c) => c.name), ['ovs', 'warp', 'ingress', 'mesh', 'sysctls']);
  tt.deepEqual(plan.components.find((c) => c.name === 'sysctls')?.changes, ['restore net.ipv6.conf.all.forwarding=0 (its value before privroute)']);
  tt.deepEqual(await nodeSnapshot(lab!.world.node, ovs), mid, 'a dry run changes nothing');
});

t('uninstall.sh removes what privroute created: the node is exactly as before init (foreign state kept); a second teardown changes nothing', async (tt) => {
  const un = await uninstall();
  tt.is(un.code, 0, un.stdout + un.stderr);
  tt.log(un.stderr + un.stdout);
  tt.regex(un.stderr, /remove bridge ovsbr0 with its ports/);
  tt.regex(un.stdout, /privroute removed/);
  const after = await nodeSnapshot(lab!.world.node, ovs);
  tt.deepEqual(snapshotDiff(before, after), [], 'node diff before init -> after uninstall');
  tt.true(after.some((l) => l.startsWith('flow fbr0 ') && l.includes('arp')), 'the foreign bridge keeps its flow');
  // The WARP tunnel's wireguard-go exited with its link.
  await waitFor('the WARP tunnel\'s wireguard-go exits', () => pidsWhere(isWireguardGoFor(labIfnames(prefix).warp)).length === 0, 15_000);
  tt.false(existsSync(path.join(root, 'opt/privroute')));
  tt.deepEqual(readdirSync(path.join(root, 'opt')), []);
  // Idempotent: the lab's own CLI (the installed one is gone) finds nothing left.
  const again = await lab!.privroute(['teardown', '--json'], { okCodes: [0, 1] });
  tt.is(again.code, 0, again.stderr);
  tt.is((JSON.parse(again.stdout) as { changes: number }).changes, 0, again.stdout);
  tt.deepEqual(snapshotDiff(before, await nodeSnapshot(lab!.world.node, ovs)), []);
});
