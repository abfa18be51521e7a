/**
 * Container runtimes: pick one from config (`runtime.kind`).
 */
import type { HostExec } from '../host/exec.js';
import type { RuntimeConfig } from '../config/types.js';
import { LocalExec } from '../host/local.js';
import { nodeExec } from '../host/node.js';
import { NetnsRuntime } from './netns.js';
import { PctRuntime } from './pct.js';
import type { ContainerRuntime } from './types.js';

export type { ContainerRuntime, ContainerSpec, ContainerStatus, ContainerId } from './types.js';
export { NetnsRuntime, type NetnsRuntimeOptions } from './netns.js';
export { PctRuntime, type PctRuntimeOptions } from './pct.js';

/**
 * Build the runtime for `cfg`. `node` is where pct / `ip link` run (the Proxmox
 * node, or the lab's node namespace); default: `runtime.node_netns` ? that
 * namespace : this host. `host` (netns kind only) is where namespaces are
 * created: it must be in the host's mount namespace, so it defaults to
 * LocalExec, never to a namespaced node.
 */
export function createRuntime(cfg: RuntimeConfig, node?: HostExec, host?: HostExec): ContainerRuntime {
  const n = node ?? nodeExec(cfg);
  return cfg.kind === 'pct'
    ? new PctRuntime({ node: n, defaults: { template: cfg.template, storage: cfg.storage } })
    : new NetnsRuntime({ prefix: cfg.netns_prefix, node: n, host: host ?? new LocalExec() });
}
