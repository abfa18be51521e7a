/**
 * Read-only view of the switch for `privroute flows`: the bridge's port numbers
 * (OVSDB) and the privroute-owned flows/meters (OpenFlow). Never changes anything.
 */
import type { Config } from '../config/types.js';
import { PreconditionError } from '../core/errors.js';
import { observeBridge } from '../ovs/ovsdb/bridge.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import type { Topology } from '../topology/addressing.js';

/**
 * name → ofport of every port on the config's bridge (reserved local port in its
 * 32-bit OpenFlow form). Throws PreconditionError when the bridge does not exist.
 */
export async function bridgeOfports(config: Config): Promise<Map<string, number>> {
  const r = config.plugins.privacy_router;
  const db = await OvsdbClient.connect(r.ovs.db);
  try {
    const ports = await observeBridge(db, r.bridge_name);
    if (!ports) throw new PreconditionError(`bridge ${r.bridge_name} does not exist in ${r.ovs.db}`, 'run `privroute init` to create the bridge and its ports');
    const out = new Map<string, number>();
    for (const p of ports) if (p.ofport !== undefined && p.ofport > 0) out.set(p.name, p.ofport >= 0xff00 ? (0xffff0000 | p.ofport) >>> 0 : p.ofport);
    return out;
  } finally {
    await db.close();
  }
}

/** Ports the pipeline needs that are missing from the bridge (or have no ofport yet). */
export function missingPorts(topo: Topology, ofports: ReadonlyMap<string, number>): string[] {
  return topo.ports.map((p) => p.name).filter((n) => !ofports.has(n));
}
