/**
 * A node namespace's networking as sorted text lines, for before/after diffs (the uninstall
 * proof): links (name, kind, MTU, UP flag, addresses other than link-local), ip rules and
 * routes of every table (IPv4 and IPv6), every iptables and ip6tables table (`-S`: rules and
 * policies, no counters), and the OVSDB (bridges with their ports, interfaces with type and
 * external_ids) with every bridge's flows (`ovs-ofctl dump-flows --no-stats`), and the
 * forwarding sysctls. Read-only.
 * Every netfilter table is listed (which instantiates it in the namespace) so that a table
 * appearing only because something listed it later is not a difference.
 */
import type { NetnsExec } from '../../src/host/netns.js';
import type { OvsInstance } from '../../src/lab/harness/index.js';

interface JsonLink { ifname: string; mtu: number; flags: string[]; linkinfo?: { info_kind?: string }; addr_info?: { local: string; prefixlen: number; scope: string }[] }

/** The snapshot of `ns` (and of `ovs`, which runs in it). */
export async function nodeSnapshot(ns: NetnsExec, ovs: OvsInstance): Promise<string[]> {
  const out: string[] = [];
  const links = JSON.parse((await ns.run(['ip', '-d', '-j', 'addr', 'show'])).stdout) as JsonLink[];
  for (const l of links) {
    const addrs = (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`).sort();
    out.push(`link ${l.ifname} ${l.linkinfo?.info_kind ?? '-'} mtu ${l.mtu} ${l.flags.includes('UP') ? 'up' : 'down'} ${addrs.join(',')}`);
  }
  for (const f of ['-4', '-6']) {
    for (const line of (await ns.run(['ip', f, 'rule', 'show'])).stdout.split('\n').filter(Boolean)) out.push(`rule ${f} ${line.trim()}`);
    for (const line of (await ns.run(['ip', f, 'route', 'show', 'table', 'all'])).stdout.split('\n').filter(Boolean)) out.push(`route ${f} ${line.trim()}`);
  }
  for (const key of ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']) out.push(`sysctl ${key}=${(await ns.run(['sysctl', '-n', key])).stdout.trim()}`);
  for (const bin of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      const r = await ns.run([bin, '-w', '-t', table, '-S'], { okCodes: [0, 1, 3] });
      for (const line of r.stdout.split('\n').filter(Boolean)) out.push(`${bin} ${table} ${line}`);
    }
  }
  const rows = async (table: string, cols: string) => (await ovs.vsctl(['--format=csv', '--no-headings', '--data=bare', `--columns=${cols}`, 'list', table])).split('\n').filter(Boolean);
  for (const row of await rows('Interface', 'name,type,external_ids')) out.push(`ovsdb interface ${row}`);
  for (const row of await rows('Port', 'name,external_ids')) out.push(`ovsdb port ${row}`);
  for (const br of (await ovs.vsctl(['list-br'])).split('\n').filter(Boolean)) {
    out.push(`ovsdb bridge ${br} ports ${(await ovs.vsctl(['list-ports', br])).split('\n').filter(Boolean).sort().join(',')}`);
    out.push(`ovsdb bridge ${br} ${(await rows('Bridge', 'name,datapath_type,fail_mode,external_ids')).find((r) => r.startsWith(`${br},`)) ?? ''}`);
    const flows = await ovs.ofctl(['-O', 'OpenFlow13', 'dump-flows', `unix:${ovs.mgmtSocket(br)}`, '--no-stats']);
    for (const line of flows.split('\n').filter((l) => l.trim() && !/OFPST_FLOW|reply/.test(l))) out.push(`flow ${br} ${line.trim()}`);
  }
  return out.sort();
}

/** Lines only in `a` (-) and only in `b` (+), for a readable failure message. */
export function snapshotDiff(a: readonly string[], b: readonly string[]): string[] {
  const inB = new Set(b);
  const inA = new Set(a);
  return [...a.filter((x) => !inB.has(x)).map((x) => `- ${x}`), ...b.filter((x) => !inA.has(x)).map((x) => `+ ${x}`)];
}
