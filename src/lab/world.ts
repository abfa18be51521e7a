/**
 * The lab's "world" around the node: a `wan` router namespace that plays the
 * Internet, with the node's uplink, the WARP edge, the VPS, the `inet` namespace
 * (web server + DNS resolver: the destination every chain request is for) and the
 * client device attached to it. Pure address plan + a builder that wires it with
 * the harness. Nothing here is product code; the node side is built by
 * `privroute init` itself.
 *
 *            client(198.18.5.2)      edge(198.18.2.2)   vps(198.18.3.2)
 *                   \                     |                 /
 *                    +-------------- wan (router) ---------+---- phone (198.18.6.2: a client
 *                                                                  on the internet, dials the
 *                                                                  node's uplink address)
 *                   /                                        \
 *   node up0 (198.18.1.2)                              inet (198.18.4.2: http :80, dns :53)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createNetns, startProcess, vethPair, waitFor, type Scope } from './harness/index.js';
import type { NetnsExec } from '../host/netns.js';

/** One site on the wan: its namespace suffix and /24 (IPv4) and /64 (IPv6) index. */
export interface Site {
  role: 'node' | 'edge' | 'vps' | 'inet' | 'client' | 'phone';
  index: number;
}

export const SITES: readonly Site[] = [
  { role: 'node', index: 1 },
  { role: 'edge', index: 2 },
  { role: 'vps', index: 3 },
  { role: 'inet', index: 4 },
  { role: 'client', index: 5 },
  { role: 'phone', index: 6 },
];

/** The address of a site's uplink (`.2`) or of the wan router on that link (`.1`). */
export function siteAddr(role: Site['role'], host: 1 | 2 = 2): { v4: string; v6: string } {
  const s = SITES.find((x) => x.role === role)!;
  return { v4: `198.18.${s.index}.${host}`, v6: `2001:db8:${s.index}::${host}` };
}

/** The namespaces and addresses of a built world. */
export interface World {
  prefix: string;
  wan: NetnsExec;
  node: NetnsExec;
  edge: NetnsExec;
  vps: NetnsExec;
  inet: NetnsExec;
  client: NetnsExec;
  /** The client device on the wan (reaches the node only at its uplink address). */
  phone: NetnsExec;
  /** URL of the web server in inet. */
  webUrl: string;
  /** The web server's access log (source addresses of every request). */
  webLog(): string;
  /** The DNS resolver's address and a name it answers. */
  dns: { server: string; name: string; answer: string };
  /** Source addresses of the queries the resolver logged, in order. */
  dnsQuerySources(): string[];
  /**
   * Names the resolver answers with addresses that only exist *on the VPS*
   * (its loopback, a link-local metadata address): what a client must never
   * reach through the chain (issue 11 item 1).
   */
  vpsInternal: { loopbackName: string; metadataName: string; metadataAddr: string };
}

/** The VPS's stand-in cloud metadata address (configured on the VPS's loopback by tests that need it). */
export const METADATA_ADDR = '169.254.169.254';

/**
 * Give the VPS a system resolver (the lab's dnsmasq), as a rented VPS has one:
 * `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf
 * for every process started in the namespace (sshd, and so the engine). The
 * file is per-namespace (its name carries the scope prefix) and is removed with
 * the namespace (deleteNetns).
 */
function giveResolver(ns: string, server: string): void {
  const dir = path.join('/etc/netns', ns);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(path.join(dir, 'resolv.conf'), `nameserver ${server}\n`, { mode: 0o644 });
}

/**
 * Build the world: namespaces, links, routes, the web server and the DNS resolver.
 * Everything is registered with `scope` for cleanup.
 */
export async function buildWorld(scope: Scope): Promise<World> {
  const wan = await createNetns(scope, 'wan', { forwarding: true });
  const ns: Record<string, NetnsExec> = {};
  for (const s of SITES) {
    const n = await createNetns(scope, s.role, { forwarding: s.role === 'edge' });
    ns[s.role] = n;
    const here = siteAddr(s.role, 2);
    const gw = siteAddr(s.role, 1);
    await vethPair(
      scope,
      { ns: wan.name, name: `wn-${s.role}`, cidr: `${gw.v4}/24`, cidr6: `${gw.v6}/64` },
      { ns: n.name, name: 'up0', cidr: `${here.v4}/24`, cidr6: `${here.v6}/64` },
    );
    await n.run(['ip', 'route', 'add', 'default', 'via', gw.v4]);
    await n.run(['ip', '-6', 'route', 'add', 'default', 'via', gw.v6]);
  }
  const inet = ns.inet!;
  const web = siteAddr('inet');
  const httpd = await startProcess(scope, {
    name: 'web',
    ns: inet.name,
    argv: ['python3', '-u', '-m', 'http.server', '80', '--bind', '::', '--directory', scope.dir],
  });
  await waitFor('web server', async () => (await inet.run(['ss', '-ltn'])).stdout.includes(':80 '));
  const dnsName = 'web.lab.test';
  const vpsInternal = { loopbackName: 'vps-loopback.lab.test', metadataName: 'metadata.lab.test', metadataAddr: METADATA_ADDR };
  giveResolver(ns.vps!.name, web.v4);
  const dnsd = await startProcess(scope, {
    name: 'dns',
    ns: inet.name,
    argv: [
      'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces',
      `--listen-address=${web.v4}`, `--address=/${dnsName}/${web.v4}`,
      `--address=/${vpsInternal.loopbackName}/127.0.0.1`, `--address=/${vpsInternal.metadataName}/${METADATA_ADDR}`, '--log-queries', '--log-facility=-',
      `--pid-file=${scope.dir}/dnsmasq.pid`, '--user=root',
    ],
  });
  await waitFor('dns server', async () => (await inet.run(['ss', '-lun'])).stdout.includes(`${web.v4}:53`));
  return {
    prefix: scope.prefix,
    wan,
    node: ns.node!,
    edge: ns.edge!,
    vps: ns.vps!,
    inet,
    client: ns.client!,
    phone: ns.phone!,
    webUrl: `http://${web.v4}/`,
    webLog: () => httpd.log(),
    dns: { server: web.v4, name: dnsName, answer: web.v4 },
    vpsInternal,
    dnsQuerySources: () => [...dnsd.log().matchAll(/query\[\w+\] \S+ from (\S+)/g)].map((m) => m[1]!),
  };
}
