/**
 * Pick the WgBackend for the configured gateway interface.
 *
 * - userspace: the wireguard-go UAPI socket, reached directly from the node
 *   (`/var/run/wireguard/<iface>.sock`; `PRIVROUTE_WG_SOCKET_DIR` overrides the
 *   directory, e.g. a pct container's rootfs `/run/wireguard`);
 * - kernel: `wg` run inside the gateway container through the container runtime.
 * - on the pct runtime, always `wg` through `pct exec`: whether the device is kernel
 *   WireGuard or wireguard-go, its control path (netlink, or the UAPI socket under the
 *   container's own /run) is inside the container, not in the node's /var/run/wireguard.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { createRuntime } from '../runtime/index.js';
import { KernelBackend } from './device/kernel.js';
import type { WgBackend } from './device/model.js';
import { UAPI_SOCKET_DIR, UserspaceBackend } from './device/uapi-backend.js';

/** Options for {@link backendFromConfig}. */
export interface BackendOptions {
  env?: NodeJS.ProcessEnv;
}

/** The backend for `config.wireguard` (one stat of the node's socket dir; no other I/O until used). */
export function backendFromConfig(config: Config, opts: BackendOptions = {}): WgBackend {
  const r = config.plugins.privacy_router;
  const wg = r.wireguard;
  const env = opts.env ?? process.env;
  const dir = env.PRIVROUTE_WG_SOCKET_DIR || UAPI_SOCKET_DIR;
  // A wireguard-go whose control socket the node itself sees (an explicit socket dir, or one
  // started on the node) is spoken to directly, whatever the runtime.
  const nodeSocket = Boolean(env.PRIVROUTE_WG_SOCKET_DIR) || existsSync(path.join(dir, `${wg.interface}.sock`));
  if (wg.backend === 'kernel' || (r.runtime.kind === 'pct' && !nodeSocket)) {
    // The runtime's default node executor honours runtime.node_netns (src/host/node.ts).
    const runtime = createRuntime(r.runtime);
    return new KernelBackend(runtime.exec(wg.container_id), wg.interface);
  }
  return UserspaceBackend.forInterface(wg.interface, dir);
}
