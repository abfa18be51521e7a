/**
 * `privroute revoke-client NAME`: revoke a client: remove its peer and free its address.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { registerPeerCommand } from '../client-support.js';

/** Register `revoke-client` on `program`. */
export function register(program: Command): void {
  registerPeerCommand(program, 'revoke', 'revoke a client: remove its peer and free its address');
}
