/**
 * Network namespaces and veth pairs for the lab and integration tests. Links are
 * created from inside a namespace (`ip -n NS link add ... peer ... netns NS2`),
 * so the machine's root namespace never holds, even briefly, a test interface.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../host/local.js';
import { NetnsExec } from '../../host/netns.js';
import type { Scope } from './scope.js';

/** One end of a veth pair. */
export interface VethEnd {
  ns: string;
  name: string;
  /** IPv4 address with prefix, e.g. 10.0.0.1/24. */
  cidr?: string;
  /** IPv6 address with prefix. */
  cidr6?: string;
  mtu?: number;
}

/** Run `ip ...` (local target, no namespace). */
export function ip(...args: string[]): Promise<unknown> {
  return spawnArgv('local', ['ip', ...args]);
}

/**
 * Delete a namespace if it exists (best effort, by name), and its per-namespace
 * /etc/netns/<name> files (a lab resolver), which `ip netns del` leaves behind.
 */
export async function deleteNetns(name: string): Promise<void> {
  await spawnArgv('local', ['ip', 'netns', 'del', name], { okCodes: [0, 1, 2] });
  // Only a plain name (never "..", never a path) picks a directory to remove.
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name)) rmSync(path.join('/etc/netns', name), { recursive: true, force: true });
}

/**
 * Create namespace `name` (prefixed with the scope prefix unless it already is),
 * bring lo up, set rp_filter=0 (a strict rp_filter hides leaks in tests), and
 * optionally enable forwarding. Deleted at scope close.
 */
export async function createNetns(scope: Scope, name: string, opts: { forwarding?: boolean } = {}): Promise<NetnsExec> {
  const full = name.startsWith(scope.prefix) ? name : `${scope.prefix}-${name}`;
  scope.recordNetns(full);
  await spawnArgv('local', ['ip', 'netns', 'add', full]);
  scope.defer(`netns ${full}`, () => deleteNetns(full));
  const ns = new NetnsExec(full);
  await ns.run(['ip', 'link', 'set', 'lo', 'up']);
  const sysctls = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'];
  if (opts.forwarding) sysctls.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  await ns.run(['sysctl', '-q', '-w', ...sysctls]);
  return ns;
}

/** Configure addresses/MTU on an existing link inside its namespace and bring it up. */
export async function configureLink(end: VethEnd): Promise<void> {
  if (end.mtu) await ip('-n', end.ns, 'link', 'set', end.name, 'mtu', String(end.mtu));
  if (end.cidr) await ip('-n', end.ns, 'addr', 'add', end.cidr, 'dev', end.name);
  if (end.cidr6) await ip('-n', end.ns, '-6', 'addr', 'add', end.cidr6, 'dev', end.name, 'nodad');
  await ip('-n', end.ns, 'link', 'set', end.name, 'up');
}

/** Create a veth pair between two namespaces, with optional addresses; both ends up. */
export async function vethPair(scope: Scope, a: VethEnd, b: VethEnd): Promise<void> {
  for (const e of [a, b]) if (e.name.length > 15) throw new Error(`interface name ${e.name} is longer than 15 chars`);
  await ip('-n', a.ns, 'link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns);
  // Deleting one end removes both; the namespace deletion also removes it.
  scope.defer(`veth ${a.ns}/${a.name}`, async () => {
    await spawnArgv('local', ['ip', '-n', a.ns, 'link', 'del', a.name], { okCodes: [0, 1, 2] });
  });
  await configureLink(a);
  await configureLink(b);
}
