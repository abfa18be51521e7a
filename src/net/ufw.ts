/**
 * ufw, for a host whose firewall is ufw (the VPS with `vps.firewall: "ufw"`): the
 * one owner of its argv, like netfilter.ts for iptables. Desired state is a set of
 * TCP ports to allow; observe reads `ufw status` (read-only), plan is pure and adds
 * only the missing `allow <port>/tcp` rules (never a deny, never a policy).
 */
import type { HostExec } from '../host/exec.js';
import type { NetChange } from './reconcile.js';

/** `ufw status` as the host prints it. Read-only. */
export async function observeUfw(exec: HostExec): Promise<string> {
  return (await exec.run(['ufw', 'status'])).stdout;
}

/** The `ufw allow <port>/tcp` changes for the ports `status` does not allow yet. Pure. */
export function planUfwAllow(ports: readonly number[], status: string): NetChange[] {
  return ports
    .filter((p) => !new RegExp(`^${p}/tcp\\s+ALLOW`, 'm').test(status))
    .map((p) => ({ describe: `ufw allow ${p}/tcp`, argv: ['ufw', 'allow', `${p}/tcp`] }));
}
