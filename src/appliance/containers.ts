/**
 * The `containers` component: the gateway (CT wireguard.container_id), the XRay
 * client (CT xray.container_id) and the mesh containers exist and run. Existing
 * containers are never modified or replaced (the runtime refuses an id held by a
 * different container).
 */
import type { Change, Component } from '../core/runner.js';
import type { ContainerSpec, ContainerStatus } from '../runtime/types.js';
import type { ApplianceContext } from './context.js';

/** The containers the config declares, with the specs used to create missing ones. */
export function desiredContainers(ctx: Pick<ApplianceContext, 'config'>): ContainerSpec[] {
  const r = ctx.config.plugins.privacy_router;
  const common = { template: r.runtime.template ?? undefined, storage: r.runtime.storage };
  const out: ContainerSpec[] = [];
  // Boot order on a node: the bridge comes up with the node's network (ifupdown2), then the
  // gateway, then the XRay client, then the mesh services (pct --onboot 1 --startup order=N).
  if (r.wireguard.enabled) out.push({ id: r.wireguard.container_id, hostname: 'privroute-wg', tun: true, chain: true, startupOrder: 1, ...common });
  if (r.xray.enabled) out.push({ id: r.xray.container_id, hostname: 'privroute-xray', chain: true, startupOrder: 2, ...common });
  for (const c of r.containers) if (!out.some((o) => o.id === c.id)) out.push({ id: c.id, hostname: c.name, startupOrder: 3, ...common });
  return out;
}

/**
 * Read-only pre-flight for init and plan: every declared container that already
 * exists must be one privroute may use (runtime.verifyExisting). Throws
 * InputError (exit 2) before any component touches anything.
 */
export async function verifyContainers(ctx: ApplianceContext): Promise<void> {
  for (const spec of desiredContainers(ctx)) await ctx.runtime.verifyExisting(spec);
}

type ContainerChange = Change & { spec: ContainerSpec; create: boolean };

/** The component; observe = each container's status. */
export function containersComponent(ctx: ApplianceContext): Component<Map<number, ContainerStatus>, ContainerChange> {
  const specs = desiredContainers(ctx);
  return {
    name: 'containers',
    observe: async () => new Map(await Promise.all(specs.map(async (s) => [s.id, await ctx.runtime.status(s.id)] as const))),
    plan: (st) =>
      specs.flatMap((spec): ContainerChange[] => {
        const s = st.get(spec.id);
        if (s === 'running') return [];
        const create = s === 'missing';
        return [{ spec, create, describe: `${create ? 'create and ' : ''}start CT ${spec.id} (${spec.hostname})` }];
      }),
    apply: async (changes) => {
      for (const c of changes) {
        if (c.create) await ctx.runtime.ensure(c.spec);
        await ctx.runtime.start(c.spec.id);
      }
    },
  };
}
