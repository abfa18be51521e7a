/**
 * Move a link's MAC where the link lives, and let the kernel tell the neighbours.
 *
 * Before the address changes, `arp_notify` / `ndisc_notify` are switched on for
 * the link: on NETDEV_CHANGEADDR the kernel then sends a gratuitous ARP for each
 * IPv4 address and an unsolicited NA for each IPv6 address of the link (Linux
 * devinet.c / ndisc.c), so every neighbour that cached the old MAC is refreshed
 * within the same instant, with nothing extra installed in the container
 * (no arping/ndisc6/python needed: only iproute2 and procps' sysctl).
 * Both OVS internal port kinds (kernel internal_dev and the userspace datapath's
 * tap) allow a live address change, so the link stays up.
 */
import type { HostExec } from '../host/exec.js';

/** `ip -j link show dev <name>` → its MAC (lower case), or null when the link is not there. Read-only. */
export async function readLinkMac(exec: HostExec, name: string): Promise<string | null> {
  const r = await exec.run(['ip', '-j', 'link', 'show', 'dev', name], { okCodes: [0, 1] });
  if (r.code !== 0) return null;
  const links = JSON.parse(r.stdout || '[]') as { address?: string }[];
  return links[0]?.address?.toLowerCase() ?? null;
}

/**
 * Set link `name`'s MAC to `mac` through `exec` (the link's own namespace), with
 * the neighbour notifications enabled first (see the module comment). Side
 * effects: two sysctls of that link (the IPv6 one is skipped when the namespace
 * has no IPv6) and the address change. Throws the failing command's error.
 */
export async function setLinkMac(exec: HostExec, name: string, mac: string): Promise<void> {
  await exec.run(['sysctl', '-q', '-w', `net.ipv4.conf.${name}.arp_notify=1`]);
  // A namespace without IPv6 has no net.ipv6.conf.<link>: nothing to notify there.
  await exec.run(['sysctl', '-q', '-w', `net.ipv6.conf.${name}.ndisc_notify=1`], { okCodes: [0, 1, 255] });
  await exec.run(['ip', 'link', 'set', 'dev', name, 'address', mac]);
}
