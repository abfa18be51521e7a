/**
 * `privroute hook <vmid> <phase>`: what Proxmox's hookscript hands over. Only post-start
 * acts: a restarted container has a fresh network namespace, and the kernel deleted its
 * socket (a tap) with the old one. The hook re-creates the socket, moves it in, puts the
 * flows on its new OpenFlow port, and brings that container's hop back (CT100: the
 * WireGuard device and its peers; CT101: the XRay client's engine and network, without
 * reading the VPS), without a daemon.
 * The other phases change nothing (the flows already drop traffic for a stopped hop).
 */
import type { Component } from '../core/runner.js';
import { InputError } from '../core/errors.js';
import type { Config } from '../config/types.js';

/** The phases Proxmox calls a hookscript with. */
export const HOOK_PHASES = ['pre-start', 'post-start', 'pre-stop', 'post-stop'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** Validate the hookscript's arguments (exit 2 on bad input). */
export function parseHookArgs(vmid: string, phase: string): { vmid: number; phase: HookPhase } {
  const problems = [];
  if (!/^[1-9][0-9]{2,8}$/.test(vmid)) problems.push({ path: '<vmid>', value: vmid, expected: 'expected a Proxmox vmid (an integer >= 100)' });
  if (!(HOOK_PHASES as readonly string[]).includes(phase)) problems.push({ path: '<phase>', value: phase, expected: `expected one of ${HOOK_PHASES.join(', ')}` });
  if (problems.length) throw new InputError(problems);
  return { vmid: Number(vmid), phase: phase as HookPhase };
}

/** Pure: the component names that bring container `vmid`'s hop back after its start. */
export function hookComponentNames(config: Config, vmid: number): string[] {
  const r = config.plugins.privacy_router;
  const names = ['ovs', 'sockets', ...(r.openflow.enabled ? ['flows'] : [])];
  if (r.wireguard.enabled && vmid === r.wireguard.container_id) names.push('gateway', 'gateway-peers');
  // CT101: its client only (engine + network in the new namespace); the VPS is not re-read over SSH.
  if (r.xray.enabled && vmid === r.xray.container_id) names.push('xray-client');
  return names;
}

/**
 * Pure: the subset of the appliance's components for `names`, with dependencies outside
 * the subset dropped, and flows after sockets (a re-created socket has a new OpenFlow
 * port number, which the flows must use).
 */
export function selectComponents(all: readonly Component[], names: readonly string[]): Component[] {
  return all
    .filter((c) => names.includes(c.name))
    .map((c) => ({ ...c, dependsOn: [...(c.dependsOn ?? []).filter((d) => names.includes(d)), ...(c.name === 'flows' ? ['sockets'] : [])] }));
}
