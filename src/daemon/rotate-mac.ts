/**
 * The daemon's `rotate_mac` job: the same MAC rotation `privroute rotate mac`
 * runs (src/rotation/mac.ts: every link moved where it lives, make-before-break
 * flows, journal for crash recovery), built from the daemon's config and store.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { applianceContext } from '../appliance/index.js';
import type { StateStore } from '../state/store.js';
import { rotateMacs, type MacRotation } from '../rotation/mac.js';

export { MAC_SALT_KEY } from '../rotation/mac-journal.js';
export type { MacRotation } from '../rotation/mac.js';

/** Rotate the MACs once. Rejects when the rotation failed (its journal is left for the next repair run). */
export async function rotateMacsFromConfig(config: Config, store: StateStore, logger?: Logger): Promise<MacRotation> {
  return rotateMacs(applianceContext(config, store, logger));
}
