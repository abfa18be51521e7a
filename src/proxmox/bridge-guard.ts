/**
 * The chain bridge is privroute's own. `init` makes it fail_mode secure with a table-miss
 * drop, so taking over a bridge that already carries other guests (Proxmox's `vmbr0` with
 * `tap<vmid>i<n>` / `veth<vmid>i<n>` ports, or the node's uplink) would cut them off. This
 * refuses, before anything is touched, a bridge with any port that is not privroute's.
 *
 * A port is privroute's when it is the bridge's own local port, carries privroute's
 * ownership mark, has the name of a port privroute wants (its mark may have been cleared by
 * an `ifreload -a`), or is the configured `wireguard.access_port`.
 */
import { InputError, type InputProblem } from '../core/errors.js';
import { withOvsdb } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, observeSwitch, OWNER_KEY } from '../ovs/ovsdb/state.js';
import type { Config } from '../config/types.js';

/** A port seen on the bridge: its name and whether it carries privroute's ownership mark. */
export interface BridgePortSeen {
  name: string;
  owned: boolean;
}

/** Pure: the ports of `bridge` that are not privroute's (see the module comment). */
export function foreignPorts(bridge: string, ports: readonly BridgePortSeen[], desired: readonly string[], accessPort: string | null): string[] {
  return ports.filter((p) => p.name !== bridge && !p.owned && !desired.includes(p.name) && p.name !== accessPort).map((p) => p.name).sort();
}

/** Pure: the input problem (key, value, fix) when `bridge` carries ports that are not privroute's, else null. */
export function bridgeProblem(bridge: string, ports: readonly BridgePortSeen[], desired: readonly string[], accessPort: string | null): InputProblem | null {
  const foreign = foreignPorts(bridge, ports, desired, accessPort);
  if (foreign.length === 0) return null;
  return {
    path: 'plugins.privacy_router.bridge_name',
    value: `${bridge} (carries ${foreign.join(', ')})`,
    expected:
      `a bridge of privroute's own: privroute makes it fail_mode secure and drops every packet no flow allows, which would cut these ports off. ` +
      `Set bridge_name to a name no bridge uses yet (e.g. "privroute0"; init creates it), or move those guests to another bridge first` +
      (accessPort === null ? '; a NIC meant for client devices goes in wireguard.access_port' : ''),
  };
}

/**
 * Read-only pre-flight of init and plan: throws InputError (exit 2) naming
 * `plugins.privacy_router.bridge_name` and the fix when the configured bridge exists and
 * carries ports that are not privroute's (`desired`: the names of the ports init wants). An OVSDB that does not answer is left to the
 * ovs component to report (it fails with the connection error).
 */
export async function verifyBridge(config: Config, desired: readonly string[]): Promise<void> {
  const r = config.plugins.privacy_router;
  const ports = await observeBridgePorts(r.ovs.db, r.bridge_name).catch(() => null);
  if (!ports) return;
  const p = bridgeProblem(r.bridge_name, ports, desired, r.wireguard.access_port);
  if (p) throw new InputError(p);
}

/** The ports of `bridge` over OVSDB at `endpoint` (one read-only transaction); null when the bridge does not exist. */
export async function observeBridgePorts(endpoint: string, bridge: string): Promise<BridgePortSeen[] | null> {
  const views = bridgePorts(await withOvsdb(endpoint, observeSwitch), bridge);
  return views ? views.map((v) => ({ name: v.name, owned: v.external_ids[OWNER_KEY] !== undefined })) : null;
}
