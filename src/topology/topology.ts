/**
 * The one Topology of a run: config + state store → the address plan with the
 * access port and MACs under the stored rotation salt. `init`, `plan`, `status`,
 * `flows`, the daemon and the lab all get it from here, so they always agree
 * (they did not: `privroute flows` once compiled with no salt and no access port).
 */
import type { Config } from '../config/types.js';
import { addressPlan, type Topology } from './addressing.js';

/** The state-store key of the MAC rotation salt (written by the daemon's MAC rotation). */
export const MAC_SALT_KEY = 'mac_salt';

/** The part of the state store the topology reads. */
export interface SaltSource {
  getKv(key: string): string | undefined;
}

/**
 * The appliance's topology. `store` null = no store yet (before the first init):
 * the initial MACs. Read-only; throws InputError (naming the config path) on a bad
 * address plan.
 */
export function applianceTopology(config: Config, store: SaltSource | null): Topology {
  return addressPlan(config, { accessPort: config.plugins.privacy_router.wireguard.access_port ?? undefined, macSalt: store?.getKv(MAC_SALT_KEY) ?? '' });
}
