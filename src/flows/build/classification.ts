/**
 * Stage 0, classification: every known port gets its source class written into
 * reg0; a port privroute does not know (not in the address plan) misses and is
 * dropped.
 */
import type { Flow } from '../../ovs/flow.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { setSourceClass } from '../registers.js';
import { classOf, cookieOf, flow, type BuildContext } from './context.js';

/** `in_port=P actions=set_field:<class>->reg0,goto_table:security` for each port. */
export function classificationFlows(ctx: BuildContext): Flow[] {
  return ctx.topo.ports.map((p) =>
    flow({
      table: TABLE.classification,
      priority: PRIORITY.forward,
      cookie: cookieOf(ctx, 'classification', 'none', p.objectId),
      match: { in_port: p.name },
      actions: [setSourceClass(classOf(p))],
      gotoTable: TABLE.security,
    }),
  );
}
