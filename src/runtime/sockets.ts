/**
 * Socket placement: every OVS internal port ("socket", `internal_<ctid>`) lives
 * inside its container's network namespace, up, with its MTU and addresses.
 *
 * OVS creates internal ports in the node's namespace; this component moves them
 * into the containers. It also repairs the ovs-vswitchd restart case measured in
 * chain-recipe.md: the moved ports stay in the containers, dead, while the new
 * vswitchd re-creates same-named ports back in the node. Then the dead orphan in
 * the container is deleted, the new port moved in, and its addresses re-added
 * (the gateway/xray components, which depend on this one, re-add their routes).
 */
import type { HostExec } from '../host/exec.js';
import type { Change, Component } from '../core/runner.js';
import { OperationError } from '../core/errors.js';
import { parseIpAddrJson, type LinkState } from '../net/links.js';
import { setLinkMac } from '../net/link-mac.js';

/** Where one socket must end up. */
export interface SocketPlacement {
  name: string;
  containerId: number;
  /** IPv4 address with prefix, e.g. 10.77.0.100/24. */
  cidr: string;
  /** IPv6 address with prefix, or undefined. */
  cidr6?: string;
  mtu: number;
  /**
   * The MAC the link must carry, lower case, or undefined to leave it alone. OVSDB's
   * Interface.mac reaches a port only while ovs-vswitchd sees its device, so a moved
   * socket's MAC is converged here, inside the container (this is also how `init`
   * finishes an interrupted MAC rotation: src/rotation/mac.ts).
   */
  mac?: string;
}

/** How to reach the node and the containers (adapted from the container runtime). */
export interface SocketHost {
  node: HostExec;
  container(id: number): HostExec;
  /** Argument for `ip link set dev X netns <target>`: a netns name or a pid. */
  netnsTarget(id: number): Promise<string>;
  /**
   * Re-create a socket that exists nowhere (its container stopped: the kernel deletes a tap
   * when the namespace holding it goes, while OVSDB still lists the port). Without it a
   * vanished socket is an error.
   */
  recreate?(name: string): Promise<void>;
}

/** Observed state of one link inside a container (shared with the other observers). */
export type { LinkState };
/** `ip -j addr show` parser (global-scope addresses only); lives in src/net/links.ts. */
export { parseIpAddrJson };

export interface SocketsObserved {
  /** Socket names currently present in the node's namespace. */
  inNode: Set<string>;
  /** Per socket name, its state inside its container, or null if absent there. */
  inContainer: Map<string, LinkState | null>;
}

export type SocketChange = Change &
  (
    | { op: 'delete-orphan'; socket: SocketPlacement }
    | { op: 'move'; socket: SocketPlacement }
    | { op: 'configure'; socket: SocketPlacement; addAddrs: string[]; setMtu: boolean; setUp: boolean }
    | { op: 'missing'; socket: SocketPlacement }
    | { op: 'set-mac'; socket: SocketPlacement; mac: string }
  );

/** Pure: desired placements + observed state → ordered changes (orphans first, then moves, then config). */
export function planSockets(desired: readonly SocketPlacement[], obs: SocketsObserved): SocketChange[] {
  const changes: SocketChange[] = [];
  for (const s of desired) {
    const inNode = obs.inNode.has(s.name);
    const inCt = obs.inContainer.get(s.name) ?? null;
    if (inNode) {
      if (inCt) changes.push({ op: 'delete-orphan', socket: s, describe: `delete dead ${s.name} left in CT ${s.containerId} by an ovs-vswitchd restart` });
      changes.push({ op: 'move', socket: s, describe: `move ${s.name} into CT ${s.containerId}` });
      changes.push({ op: 'configure', socket: s, addAddrs: wantedAddrs(s), setMtu: true, setUp: true, describe: `configure ${s.name}: ${wantedAddrs(s).join(', ')}, mtu ${s.mtu}, up` });
      continue;
    }
    if (!inCt) {
      changes.push({ op: 'missing', socket: s, describe: `socket ${s.name} exists neither on the node nor in CT ${s.containerId} (was the container restarted?): re-create it and move it in` });
      continue;
    }
    if (s.mac && inCt.mac && inCt.mac !== s.mac.toLowerCase()) {
      changes.push({ op: 'set-mac', socket: s, mac: s.mac.toLowerCase(), describe: `set ${s.name}'s MAC ${inCt.mac} -> ${s.mac.toLowerCase()} in CT ${s.containerId}` });
    }
    const addAddrs = wantedAddrs(s).filter((a) => !inCt.addrs.includes(a));
    const setMtu = inCt.mtu !== s.mtu;
    const setUp = !inCt.up;
    if (addAddrs.length || setMtu || setUp) {
      const what = [...addAddrs.map((a) => `add ${a}`), ...(setMtu ? [`mtu ${s.mtu}`] : []), ...(setUp ? ['up'] : [])];
      changes.push({ op: 'configure', socket: s, addAddrs, setMtu, setUp, describe: `configure ${s.name}: ${what.join(', ')}` });
    }
  }
  return changes;
}

function wantedAddrs(s: SocketPlacement): string[] {
  return s.cidr6 ? [s.cidr, s.cidr6] : [s.cidr];
}

/** Read the node's links and each container's socket state. Read-only. */
export async function observeSockets(host: SocketHost, desired: readonly SocketPlacement[]): Promise<SocketsObserved> {
  const node = parseIpAddrJson((await host.node.run(['ip', '-j', 'addr', 'show'])).stdout);
  const inContainer = new Map<string, LinkState | null>();
  for (const s of desired) {
    const r = await host.container(s.containerId).run(['ip', '-j', 'addr', 'show', 'dev', s.name], { okCodes: [0, 1] });
    inContainer.set(s.name, r.code === 0 ? (parseIpAddrJson(r.stdout).get(s.name) ?? null) : null);
  }
  return { inNode: new Set([...node.keys()].filter((n) => desired.some((s) => s.name === n))), inContainer };
}

/** Apply socket changes in order. */
export async function applySockets(host: SocketHost, changes: readonly SocketChange[]): Promise<void> {
  for (const c of changes) {
    const ct = host.container(c.socket.containerId);
    switch (c.op) {
      case 'missing':
        if (!host.recreate) throw new OperationError('sockets', c.describe, { hint: 'the ovs component creates the port; check `privroute status` for its error' });
        // Measured: the tap is gone but ovs-vswitchd keeps the port row; only a delete and a
        // separate re-add make it create a new tap (back in the node's namespace).
        await host.recreate(c.socket.name);
        await host.node.run(['ip', 'link', 'set', 'dev', c.socket.name, 'netns', await host.netnsTarget(c.socket.containerId)]);
        await configure(ct, c.socket, wantedAddrs(c.socket), true, true);
        break;
      case 'delete-orphan':
        await ct.run(['ip', 'link', 'del', 'dev', c.socket.name]);
        break;
      case 'move':
        await host.node.run(['ip', 'link', 'set', 'dev', c.socket.name, 'netns', await host.netnsTarget(c.socket.containerId)]);
        break;
      case 'set-mac':
        await setLinkMac(ct, c.socket.name, c.mac);
        break;
      case 'configure':
        await configure(ct, c.socket, c.addAddrs, c.setMtu, c.setUp);
        break;
    }
  }
}

/** MTU, addresses and up, inside the container. */
async function configure(ct: HostExec, s: SocketPlacement, addAddrs: readonly string[], setMtu: boolean, setUp: boolean): Promise<void> {
  if (setMtu) await ct.run(['ip', 'link', 'set', 'dev', s.name, 'mtu', String(s.mtu)]);
  for (const a of addAddrs) {
    const v6 = a.includes(':');
    await ct.run(['ip', ...(v6 ? ['-6'] : []), 'addr', 'add', a, 'dev', s.name, ...(v6 ? ['nodad'] : [])]);
  }
  if (setUp) await ct.run(['ip', 'link', 'set', 'dev', s.name, 'up']);
}

/** The sockets component for the runner. */
export function socketsComponent(host: SocketHost, desired: readonly SocketPlacement[], dependsOn: string[] = ['ovs', 'containers']): Component<SocketsObserved, SocketChange> {
  return {
    name: 'sockets',
    dependsOn,
    observe: () => observeSockets(host, desired),
    plan: (obs) => planSockets(desired, obs),
    apply: (changes) => applySockets(host, changes),
  };
}
