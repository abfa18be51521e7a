/**
 * `privroute disable-client NAME`: disable a client: remove its peer, keep its address and keys.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { registerPeerCommand } from '../client-support.js';

/** Register `disable-client` on `program`. */
export function register(program: Command): void {
  registerPeerCommand(program, 'disable', 'disable a client: remove its peer, keep its address and keys');
}
