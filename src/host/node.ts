/**
 * The one node executor factory: where node-side commands run. On a Proxmox node
 * that is this host (LocalExec); in the lab it is the node's network namespace
 * (`runtime.node_netns`, NetnsExec). Every consumer (the appliance, the WARP hop,
 * the container runtime, the gateway backend) gets its node executor here, so none
 * can forget node_netns.
 */
import type { RuntimeConfig } from '../config/types.js';
import type { HostExec } from './exec.js';
import { LocalExec } from './local.js';
import { NetnsExec } from './netns.js';

/** The node executor `runtime` asks for. Constructs an executor only; runs nothing. */
export function nodeExec(runtime: Pick<RuntimeConfig, 'node_netns'>): HostExec {
  return runtime.node_netns ? new NetnsExec(runtime.node_netns) : new LocalExec();
}
