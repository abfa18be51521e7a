/**
 * The one Topology of a run: config + state store → the address plan with the
 * access port and MACs under the stored rotation salt. `init`, `plan`, `status`,
 * `flows`, the daemon and the lab all get it from here, so they always agree
 * (they did not: `privroute flows` once compiled with no salt and no access port).
 */
import type { Config } from '../config/types.js';
import { addressPlan, INGRESS_PORT, type Topology } from './addressing.js';

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
  return topologyWithSalt(config, store?.getKv(MAC_SALT_KEY) ?? '');
}

/**
 * The appliance's topology with the MACs of `salt` (the same ports, other MACs):
 * what a MAC rotation moves to. The one place the ports of the plan are chosen.
 */
export function topologyWithSalt(config: Config, salt: string): Topology {
  const wg = config.plugins.privacy_router.wireguard;
  return addressPlan(config, {
    accessPort: wg.access_port ?? undefined,
    // The ingress port exists only where there is an uplink to forward from and a gateway to forward to.
    ingressPort: wg.enabled && wg.uplink ? INGRESS_PORT : undefined,
    macSalt: salt,
  });
}
