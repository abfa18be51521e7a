/**
 * Gateway hop health: the WireGuard device answers (UAPI socket or `wg` in the
 * container), listens on the configured port, and carries exactly the peers the
 * store says should be live (enabled, unexpired clients); per-peer last
 * handshake is reported (informational: an idle client legitimately has none).
 */
import type { Config } from '../config/types.js';
import type { StateStore } from '../state/store.js';
import { backendFromConfig } from '../tunnel/backend.js';
import { ClientService } from '../tunnel/clients.js';
import type { Device } from '../tunnel/device/model.js';
import type { WgBackend } from '../tunnel/device/model.js';
import { hopFrom, type HopHealth } from './types.js';

/** Judge an observed device against the config and the desired peer keys (pure). */
export function judgeGateway(config: Config, dev: Device, desiredKeys: readonly string[], now: Date = new Date()): HopHealth {
  const wg = config.plugins.privacy_router.wireguard;
  const live = new Set(dev.peers.map((p) => p.publicKey));
  const want = new Set(desiredKeys);
  const missing = desiredKeys.filter((k) => !live.has(k)).length;
  const extra = dev.peers.filter((p) => !want.has(p.publicKey)).length;
  const checks: HopHealth['checks'] = [
    { name: 'gateway.device', ok: true, detail: `${wg.interface} reachable` },
    dev.listenPort === wg.listen_port
      ? { name: 'gateway.listen_port', ok: true, detail: `listening on ${dev.listenPort}` }
      : { name: 'gateway.listen_port', ok: false, detail: `listen port is ${dev.listenPort}, config says ${wg.listen_port}` },
    missing + extra
      ? { name: 'gateway.peers', ok: false, detail: `peers differ from the store: ${missing} missing, ${extra} unknown (run privroute init)` }
      : { name: 'gateway.peers', ok: true, detail: `${dev.peers.length} peer(s) as in the store` },
  ];
  const peers = dev.peers.map((p) => ({
    publicKey: p.publicKey,
    lastHandshake: p.lastHandshake ? p.lastHandshake.toISOString() : null,
    handshakeAgeSec: p.lastHandshake ? Math.max(0, Math.round((now.getTime() - p.lastHandshake.getTime()) / 1000)) : null,
    rxBytes: p.rxBytes,
    txBytes: p.txBytes,
  }));
  return hopFrom('gateway', checks, `${wg.interface} listening on ${dev.listenPort}, ${dev.peers.length} peer(s)`, { interface: wg.interface, listenPort: dev.listenPort, peerCount: dev.peers.length, peers });
}

/** Read the device (read-only) and judge it. Throws if the device cannot be read (the caller reports the hop failed). */
export async function gatewayHealth(config: Config, store: StateStore, backend: WgBackend = backendFromConfig(config)): Promise<HopHealth> {
  const dev = await backend.get();
  const desired = new ClientService(store, config, backend).desiredPeers().map((p) => p.publicKey);
  return judgeGateway(config, dev, desired);
}
