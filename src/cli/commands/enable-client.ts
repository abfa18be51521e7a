/**
 * `privroute enable-client NAME`: enable a disabled client: add its peer back.
 * Touches only this peer on the live interface. If the interface is not
 * reachable, the store changes and a warning says init will apply it.
 */
import type { Command } from 'commander';
import { registerPeerCommand } from '../client-support.js';

/** Register `enable-client` on `program`. */
export function register(program: Command): void {
  registerPeerCommand(program, 'enable', 'enable a disabled client: add its peer back');
}
