/**
 * The layout deploy/install.sh creates on a node, as privroute's renderers see it: the
 * hookscript target (node + /opt/privroute, the default config and state dir) and the chain
 * bridge's stanza for the default config. proxmox/ holds these renders (scripts/render-proxmox.ts).
 */
import { validateConfig } from '../config/validate.js';
import { DEFAULT_CONFIG_PATH } from '../config/defaults.js';
import { DEFAULT_STATE_DIR } from '../state/store.js';
import { addressPlan } from '../topology/addressing.js';
import type { HookTarget } from './hookscript.js';
import type { BridgeStanza } from './ifupdown.js';

/** Where install.sh puts privroute. */
export const INSTALL_DIR = '/opt/privroute';

/** How the hookscript calls an installed privroute (Debian's/NodeSource's node at /usr/bin/node). */
export const INSTALLED_HOOK_TARGET: HookTarget = {
  argv: ['/usr/bin/node', `${INSTALL_DIR}/dist/src/cli/main.js`],
  configPath: DEFAULT_CONFIG_PATH,
  stateDir: DEFAULT_STATE_DIR,
};

/** Pure: the stanza of the default config (the seed layout: gateway, XRay client, WARP, mesh sockets). */
export function defaultStanza(): BridgeStanza {
  const config = validateConfig({ version: 1, plugins: { privacy_router: {} } });
  const r = config.plugins.privacy_router;
  return {
    bridge: r.bridge_name,
    ports: addressPlan(config, { macSalt: '' }).ports.map((p) => p.name),
    accessPort: r.wireguard.access_port,
    failMode: r.ovs.fail_mode,
    datapath: r.ovs.datapath_type,
  };
}
