/**
 * `privroute teardown`: what `init` created on the node, removed — planned purely from
 * the same desired state init reconciles with (config + address plan), against what is
 * observed, and applied through the node's HostExec / OVSDB / OpenFlow. Only what
 * privroute owns goes: netfilter lines by their ownership comment and the PRIVROUTE-*
 * chains, the policy rules at privroute's priorities, the routes it wants, the bridge
 * only when it carries nothing but privroute's ports (bridge-removal.ts).
 *
 * Components, in order (one failing does not stop the others):
 *   hookscript   (pct) each container's `hookscript:` line, then the snippet  ┐ src/proxmox/
 *   ovs          the chain bridge with its ports and flows                    │ teardown.ts
 *   warp         the tunnel link (its wireguard-go exits with it), the WARP guard's rules,
 *                chain, policy rules and blackhole routes
 *   ingress      the ingress DNAT/forward rules and chain
 *   mesh         `netclient leave` (when joined), the mesh's rules and chain
 *   ifupdown     (pct) the bridge's interfaces.d stanza                        │
 *   containers   (pct, only when asked) stop + destroy CT100/CT101/mesh CTs    ┘
 * The hookscript goes first (a container started meanwhile re-attaches nothing), the
 * bridge next (chain traffic stops before any rule guarding it is removed: fail closed).
 *   sysctls      ip_forward / IPv6 forwarding back to their values before the first init
 *                (recorded by init in the state store; net/sysctl-baseline.ts)
 * Not touched: the VPS, the state dir and the config. A second run plans nothing.
 */
import type { AnyComponent, Change, Component } from '../core/runner.js';
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { applyNet, observeNet, type NetChange, type NetDesired, type NetObserved } from '../net/reconcile.js';
import { planNetTeardown } from '../net/removal.js';
import { sysctlRestore, type BaselineStore } from '../net/sysctl-baseline.js';
import { linkShowArgv } from '../net/links.js';
import { withOvsdb } from '../ovs/ovsdb/rpc.js';
import { DB, observeSwitch, type ObservedSwitch } from '../ovs/ovsdb/state.js';
import { waitCurCfg } from '../ovs/ovsdb/bridge.js';
import { OpenFlowClient } from '../ovs/openflow/client.js';
import { openflowEndpoint, observeRaw } from '../flows/apply.js';
import { OWNER_COOKIE, OWNER_MASK } from '../flows/cookie.js';
import { planBridgeRemoval, type BridgeRemoval } from '../proxmox/bridge-removal.js';
import { pveTeardownComponents } from '../proxmox/teardown.js';
import { warpGuardNet, warpGuardSpecFromConfig, warpSocketNet } from '../warp/node-spec.js';
import { ingressDesired, ingressNet } from '../tunnel/ingress.js';
import { meshDesired } from '../mesh/component.js';
import { meshSettings } from '../mesh/settings.js';
import { Netclient } from '../mesh/netclient.js';
import type { Topology } from '../topology/addressing.js';
import { desiredContainers } from './containers.js';

/** What teardown needs: the config, the node executor, the address plan, and whether containers go too. */
export interface TeardownContext {
  config: Config;
  node: HostExec;
  topology: Topology;
  /** `--containers`: destroy privroute's containers (pct runtime; they hold the gateway's keys). */
  containers: boolean;
  /** The state store, when there is one: the node's sysctls as they were before init (net/sysctl-baseline.ts). */
  baseline?: BaselineStore | null;
}

/** The node's removal components, in order (see the module comment). */
export function teardownComponents(ctx: TeardownContext): AnyComponent[] {
  const r = ctx.config.plugins.privacy_router;
  const pve = r.runtime.kind === 'pct'
    ? pveTeardownComponents(ctx.node, { ids: desiredContainers(ctx).map((s) => s.id), interfacesFile: r.runtime.interfaces_file, containers: ctx.containers })
    : { first: [], last: [] };
  const list: AnyComponent[] = [...pve.first, ovsRemoval(ctx)];
  if (r.warp.enabled) list.push(warpRemoval(ctx));
  const ingress = ingressDesired(ctx.config, ctx.topology);
  if (ingress) list.push(netRemoval('ingress', ctx.node, ingressNet(ingress)));
  if (r.netmaker.enabled) list.push(meshRemoval(ctx));
  // Forwarding goes back to what it was only once nothing of the chain is left.
  return [...list, ...pve.last, ...(ctx.baseline ? [sysctlRestore(ctx.node, ctx.baseline)] : [])];
}

type OvsObserved = { s: ObservedSwitch; flows: number | null };
type OvsChange = Change & { removal?: BridgeRemoval; flows?: true };

/** The bridge (or, when it carries foreign ports, privroute's ports and flows on it). */
function ovsRemoval(ctx: TeardownContext): Component<OvsObserved, OvsChange> {
  const r = ctx.config.plugins.privacy_router;
  const wanted = ctx.topology.ports.map((p) => p.name);
  const plan = (s: ObservedSwitch) => planBridgeRemoval(s, r.bridge_name, wanted, r.wireguard.access_port);
  return {
    name: 'ovs',
    async observe() {
      const s = await withOvsdb(r.ovs.db, observeSwitch);
      // Flows matter only on a bridge that stays; on one that goes they go with it.
      if (!plan(s).keepsBridge) return { s, flows: null };
      const sw = await OpenFlowClient.connect(openflowEndpoint(ctx.config));
      try {
        return { s, flows: (await observeRaw(sw)).flows.length };
      } finally {
        await sw.close();
      }
    },
    plan: ({ s, flows }) => {
      const p = plan(s);
      const out: OvsChange[] = p.changes.map((describe) => ({ describe, removal: p }));
      if (flows) out.push({ describe: `remove privroute's ${flows} flow(s) from ${r.bridge_name} (by cookie)`, flows: true });
      return out;
    },
    async apply(changes) {
      const removal = changes.find((c) => c.removal)?.removal;
      if (removal) {
        await withOvsdb(r.ovs.db, async (c) => {
          const res = await c.transact(DB, removal.ops);
          await waitCurCfg(c, Number(res[res.length - 1]?.rows?.[0]?.next_cfg));
        });
      }
      if (changes.some((c) => c.flows)) {
        const sw = await OpenFlowClient.connect(openflowEndpoint(ctx.config));
        try {
          await sw.applyBundle([{ command: 'delete', cookie: OWNER_COOKIE, cookieMask: OWNER_MASK }]);
        } finally {
          await sw.close();
        }
      }
    },
  };
}

/** One hop's networking on the node removed (src/net/removal.ts). */
function netRemoval(name: string, node: HostExec, d: NetDesired): Component<NetObserved, NetChange> {
  return {
    name,
    observe: () => observeNet(node, d),
    plan: (o) => planNetTeardown(d, o),
    apply: (changes) => applyNet(node, changes),
  };
}

/** The WARP hop: its tunnel link first (wireguard-go exits when its TUN is deleted), then its guard. */
function warpRemoval(ctx: TeardownContext): Component<{ tunnel: boolean; net: NetObserved; socket: NetObserved }, NetChange> {
  const spec = warpGuardSpecFromConfig(ctx.config, ctx.topology);
  const guard = warpGuardNet(spec);
  // The socket's REJECT rules (owner warp-socket) go by their ownership comment: the edge
  // address they exempt does not matter for removal (any address of each family will do).
  const socket = warpSocketNet(spec.listenPort, '192.0.2.1:0');
  return {
    name: 'warp',
    async observe() {
      const tunnel = (await ctx.node.run(linkShowArgv(spec.tunnel), { okCodes: [0, 1] })).code === 0;
      return { tunnel, net: await observeNet(ctx.node, guard), socket: await observeNet(ctx.node, socket) };
    },
    plan: (o) => [
      ...(o.tunnel ? [{ describe: `remove the WARP tunnel ${spec.tunnel} (its wireguard-go exits)`, argv: ['ip', 'link', 'del', 'dev', spec.tunnel], okCodes: [0, 1] }] : []),
      ...planNetTeardown(guard, o.net),
      ...planNetTeardown(socket, o.socket),
    ],
    apply: (changes) => applyNet(ctx.node, changes),
  };
}

/** The mesh: leave the Netmaker network when joined (netclient removes its interface), then the node's mesh rules. */
function meshRemoval(ctx: TeardownContext): Component<{ joined: boolean; net: NetObserved }, NetChange & { leave?: true }> {
  const s = meshSettings(ctx.config);
  const want = meshDesired(ctx, s).node;
  const nc = new Netclient(ctx.node, s.netclient);
  return {
    name: 'mesh',
    async observe() {
      // No netclient on the node: nothing was joined through it.
      const present = await nc.ensurePresent().then(() => true, () => false);
      return { joined: present && (await nc.list(s.network)) !== undefined, net: await observeNet(ctx.node, want) };
    },
    plan: (o) => [
      ...(o.joined ? [{ describe: `leave Netmaker network ${s.network} (netclient leave)`, argv: [], leave: true as const }] : []),
      ...planNetTeardown(want, o.net),
    ],
    async apply(changes) {
      if (changes.some((c) => c.leave)) await nc.leave(s.network);
      await applyNet(ctx.node, changes.filter((c) => !c.leave));
    },
  };
}
