/**
 * What the appliance can really do on this node, beyond hop health — today:
 * whether MAC rotation can work. OVSDB's Interface.mac reaches a port only while
 * ovs-vswitchd sees its device; a socket moved into its container keeps its MAC
 * (measured in the lab), so with such ports MAC rotation is unavailable.
 * Read-only (one OVSDB transaction).
 */
import type { ApplianceContext } from '../appliance/context.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, observeSwitch } from '../ovs/ovsdb/state.js';

/** A capability and, when unavailable, why. */
export interface Capability {
  available: boolean;
  reason?: string;
}

/** Plan ports whose device ovs-vswitchd does not see (no mac_in_use in OVSDB). */
export async function portsOutsideVswitchd(ctx: ApplianceContext): Promise<string[]> {
  const r = ctx.config.plugins.privacy_router;
  const c = await OvsdbClient.connect(r.ovs.db);
  try {
    const ports = new Map((bridgePorts(await observeSwitch(c), r.bridge_name) ?? []).map((p) => [p.name, p]));
    return ctx.topology.ports.filter((p) => !ports.get(p.name)?.mac_in_use).map((p) => p.name);
  } finally {
    await c.close();
  }
}

/** Can the MACs be rotated here? */
export async function macRotationCapability(ctx: ApplianceContext): Promise<Capability> {
  const unseen = await portsOutsideVswitchd(ctx);
  return unseen.length
    ? { available: false, reason: `ports ${unseen.join(', ')} are outside ovs-vswitchd's view (moved into their container/namespace), so OVSDB cannot change their MAC` }
    : { available: true };
}
