/**
 * Stage 60, output: the chain invariant made concrete. This is the only table
 * with `output:` actions. A packet leaves on port P only if
 *   - P is a chain port: the packet entered on A with (A → P) a permitted edge,
 *     its destination MAC is P's (or broadcast / IPv6 multicast), and it matches
 *     one of the edge's protocol filters if the edge has any;
 *   - P is a mesh port: the packet came from a mesh-class port.
 * Everything else misses and is dropped — including anything a user privacy flow
 * might have asked for beyond the invariant.
 */
import type { Flow, FlowMatch } from '../../ovs/flow.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { matchOutputPort, matchSourceClass, MESH_CLASSES } from '../registers.js';
import { BROADCAST, cookieOf, flow, isMeshPort, V6_MULTICAST, type BuildContext } from './context.js';

/** Stage 60 flows. */
export function outputFlows(ctx: BuildContext): Flow[] {
  const t = TABLE.output;
  const out: Flow[] = [];
  for (const e of ctx.edges) {
    const dsts = [e.to.mac, BROADCAST, ...(ctx.hasV6 ? [V6_MULTICAST] : [])];
    const filters: readonly FlowMatch[] = e.filters ?? [{}];
    for (const eth_dst of dsts) {
      for (const f of filters) {
        out.push(
          flow({
            table: t,
            priority: PRIORITY.forward,
            cookie: cookieOf(ctx, 'output', 'edge', e.to.objectId),
            match: { in_port: e.from.name, regs: matchOutputPort(e.to.objectId), ...f, eth_dst },
            actions: [{ type: 'output', port: e.to.name }],
          }),
        );
      }
    }
  }
  for (const p of ctx.topo.ports.filter(isMeshPort)) {
    for (const cls of MESH_CLASSES) {
      out.push(
        flow({
          table: t,
          priority: PRIORITY.forward,
          cookie: cookieOf(ctx, 'output', 'none', p.objectId),
          match: { regs: { ...matchSourceClass(cls), ...matchOutputPort(p.objectId) } },
          actions: [{ type: 'output', port: p.name }],
        }),
      );
    }
  }
  return out;
}
