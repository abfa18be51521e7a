/**
 * The `gateway` component: CT100's WireGuard interface (wireguard-go started in
 * the container when the userspace backend is used), its hardening (policy
 * routing, FORWARD DROP, MSS clamp, DNS to the chain), the zero-config server
 * key and listen port, and the peers matching the store (expired clients left out).
 */
import type { Change, Component } from '../core/runner.js';
import { ensureGatewayKeys, ClientService, GATEWAY_KEY_SECRET } from '../tunnel/clients.js';
import { backendFromConfig } from '../tunnel/backend.js';
import { diffPeers, isNoop, type Device } from '../tunnel/device/model.js';
import { applyGateway, gatewayDesired, observeGateway, planGateway, type GatewayChange, type GatewayObserved } from '../tunnel/gateway.js';
import { OperationError } from '../core/errors.js';
import type { InitContext } from './context.js';

interface GatewayState {
  net: GatewayObserved;
  device: Device | null;
}

type GwChange = Change & ({ kind: 'start' } | { kind: 'net'; change: GatewayChange } | { kind: 'device' });

/** The component. */
export function gatewayComponent(ctx: InitContext): Component<GatewayState, GwChange> {
  const r = ctx.config.plugins.privacy_router;
  const ct = ctx.runtime.exec(r.wireguard.container_id);
  const d = gatewayDesired(ctx.config);
  const backend = backendFromConfig(ctx.config);
  const service = new ClientService(ctx.store, ctx.config, backend);
  return {
    name: 'gateway',
    dependsOn: ['sockets'],
    async observe() {
      const net = await observeGateway(ct, d);
      return { net, device: net.link ? await backend.get() : null };
    },
    reconcile(o) {
      const out: GwChange[] = [];
      for (const c of planGateway(d, o.net)) {
        // The one step the tunnel module leaves to the orchestrator: running wireguard-go.
        if (c.precondition) out.push({ kind: 'start', describe: `start wireguard-go ${d.iface} in CT ${r.wireguard.container_id}` });
        else out.push({ kind: 'net', change: c, describe: c.describe });
      }
      const peers = diffPeers(service.desiredPeers(), o.device?.peers ?? []);
      const keyOk = o.device !== null && o.device.listenPort === r.wireguard.listen_port && o.device.privateKey === ctx.store.getSecret(GATEWAY_KEY_SECRET);
      if (!o.device || !keyOk || !isNoop(peers)) {
        out.push({ kind: 'device', describe: `device: server key/listen port ${keyOk ? 'ok' : 'set'}, peers +${peers.upsert.length - peers.updatedKeys.length} ~${peers.updatedKeys.length} -${peers.remove.length}` });
      }
      return out;
    },
    async apply(changes) {
      await ensureGatewayKeys(ctx.store);
      if (changes.some((c) => c.kind === 'start')) {
        // Without -f wireguard-go daemonizes once the TUN exists; it lives as long as
        // the container (its interface), and exits when the interface is deleted.
        // No LOG_LEVEL: with one set, the daemon keeps our stdout/stderr pipes open
        // (and this call would never return); without, its stdio is /dev/null.
        await ct.run(['wireguard-go', d.iface]);
        await untilReachable(() => backend.get(), `wireguard-go ${d.iface} in CT ${r.wireguard.container_id}`);
        // Re-plan: the interface now exists, its address/MTU/routes are next.
        await applyGateway(ct, planGateway(d, await observeGateway(ct, d)));
      } else {
        await applyGateway(ct, changes.filter((c) => c.kind === 'net').map((c) => (c as { change: GatewayChange }).change));
      }
      await service.syncPeers();
    },
  };
}

/** Poll `probe` until it resolves (the daemon's control socket appears), up to 10 s. */
async function untilReachable(probe: () => Promise<unknown>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new OperationError('gateway', `${what} did not come up`, { cause: e, hint: 'check /dev/net/tun in the container and that wireguard-go is installed' });
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}
