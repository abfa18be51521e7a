/**
 * The gateway as init components, over the tunnel module's own components
 * (src/tunnel/components.ts):
 *
 * - `gateway`: CT100's WireGuard interface and hardening (policy routing, FORWARD
 *   DROP, MSS clamp, DNS to the chain). The one step the tunnel module leaves to
 *   the orchestrator — running wireguard-go for the userspace backend — is done
 *   here: started in the container, then the rest of the plan is applied.
 * - `gateway-peers`: the zero-config server key, the listen port, and the peers
 *   matching the store (disabled and expired clients left out).
 */
import type { AnyComponent, Change, Component } from '../core/runner.js';
import { OperationError } from '../core/errors.js';
import { pollUntil } from '../core/poll.js';
import { ClientService } from '../tunnel/clients.js';
import { backendFromConfig } from '../tunnel/backend.js';
import { gatewayNetComponent, gatewayPeersComponent } from '../tunnel/components.js';
import { applyGateway, gatewayDesired, type GatewayChange, type GatewayObserved } from '../tunnel/gateway.js';
import type { ApplianceContext } from './context.js';
import { nodeHasKernelWireguard } from './engines.js';
import { wireguardLinkAddArgv } from '../net/links.js';

type GwChange = Change & { start: boolean; change?: GatewayChange };

/** The two gateway components, in order. */
export function gatewayComponents(ctx: ApplianceContext): AnyComponent[] {
  const r = ctx.config.plugins.privacy_router;
  const ct = ctx.runtime.exec(r.wireguard.container_id);
  const d = gatewayDesired(ctx.config, ctx.topology);
  const backend = backendFromConfig(ctx.config);
  const net = gatewayNetComponent(ct, d, ['sockets']);
  const gateway: Component<GatewayObserved, GwChange> = {
    name: 'gateway',
    dependsOn: ['sockets'],
    observe: () => net.observe(),
    plan: (o) =>
      net.plan(o).map((c) =>
        c.precondition ? { start: true, describe: `create ${d.iface} (kernel WireGuard where the node has it, else wireguard-go) in CT ${r.wireguard.container_id}` } : { start: false, change: c, describe: c.describe },
      ),
    async apply(changes) {
      if (!changes.some((c) => c.start)) return applyGateway(ct, changes.map((c) => c.change!));
      // Without -f wireguard-go daemonizes once the TUN exists; it lives as long as its
      // interface. No LOG_LEVEL: with one set, the daemon keeps our stdout/stderr pipes
      // open (this call would never return); without, its stdio is /dev/null.
      // Kernel WireGuard where the node has it (a Proxmox kernel does): the device is created
      // inside the container's own namespace. wireguard-go otherwise.
      if (ctx.runtime.kind === 'pct' && (await nodeHasKernelWireguard(ctx))) await ct.run(wireguardLinkAddArgv(d.iface));
      else await ct.run(['wireguard-go', d.iface]);
      await untilReachable(() => backend.get(), `wireguard-go ${d.iface} in CT ${r.wireguard.container_id}`);
      // The plan saw the interface as bare: its address, MTU and up follow, exactly as planned.
      await applyGateway(ct, changes.filter((c) => !c.start).map((c) => c.change!));
    },
  };
  const peers = gatewayPeersComponent(new ClientService(ctx.store, ctx.config, backend), backend, ['gateway']);
  return [gateway, peers];
}

/** Poll `probe` until it resolves (the daemon's control socket appears), up to 10 s. */
function untilReachable(probe: () => Promise<unknown>, what: string): Promise<void> {
  return pollUntil(async () => (await probe(), true), {
    timeoutMs: 10_000,
    onTimeout: (cause) => new OperationError('gateway', `${what} did not come up`, { cause, hint: 'check /dev/net/tun in the container and that wireguard-go is installed' }),
  });
}
