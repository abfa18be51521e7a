/**
 * What every init component needs, built once per `init` / `plan` run from the
 * config and the state store: the node executor, the container runtime, the
 * address plan, and a logger.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { nodeExec } from '../host/node.js';
import type { StateStore } from '../state/store.js';
import { createRuntime } from '../runtime/index.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { Topology } from '../topology/addressing.js';
import { applianceTopology } from '../topology/topology.js';
import type { HookTarget } from '../proxmox/hookscript.js';

/** The per-run context of the appliance composition. */
export interface ApplianceContext {
  config: Config;
  store: StateStore;
  logger?: Logger;
  /** Where node-side commands run (LocalExec on a node; the node namespace in the lab). */
  node: HostExec;
  runtime: ContainerRuntime;
  topology: Topology;
  /** How Proxmox's hookscript reaches this privroute (pct runtime); no hookscript without it. */
  hookTarget?: HookTarget;
}

/** Build the context (pure apart from constructing executors; touches nothing). */
export function applianceContext(config: Config, store: StateStore, logger?: Logger): ApplianceContext {
  const r = config.plugins.privacy_router;
  const node = nodeExec(r.runtime);
  return {
    config,
    store,
    logger,
    node,
    runtime: createRuntime(r.runtime, node),
    topology: applianceTopology(config, store),
  };
}
