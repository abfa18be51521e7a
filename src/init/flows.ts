/**
 * The `flows` component: the compiled OpenFlow pipeline on the bridge, through
 * native OpenFlow (one atomic bundle; nothing sent when converged). Depends on
 * `ovs` (the ports must exist to have OpenFlow numbers).
 */
import type { Change, Component } from '../core/runner.js';
import { PreconditionError } from '../core/errors.js';
import { compilePipeline, type CompiledPipeline } from '../flows/compile.js';
import { applyPipeline, openflowEndpoint, type ApplyReport } from '../flows/apply.js';
import { bridgeOfports, missingPorts } from '../flows/switch-state.js';
import { flowText } from '../flows/text.js';
import { OpenFlowClient } from '../ovs/openflow/client.js';
import type { InitContext } from './context.js';

interface FlowsObserved {
  ports: Map<string, number>;
  report: ApplyReport;
}

/** Compile the pipeline for this context (pure). */
export function compileFor(ctx: InitContext): CompiledPipeline {
  return compilePipeline(ctx.config, { topology: ctx.topology });
}

/** The component; observe = a dry-run diff against the installed privroute flows. */
export function flowsComponent(ctx: InitContext): Component<FlowsObserved, Change> {
  const compiled = compileFor(ctx);
  const endpoint = openflowEndpoint(ctx.config);
  let observed: FlowsObserved | undefined;
  return {
    name: 'flows',
    dependsOn: ['ovs'],
    async observe() {
      const ports = await bridgeOfports(ctx.config);
      const missing = missingPorts(compiled.topology, ports);
      if (missing.length) throw new PreconditionError(`ports ${missing.join(', ')} have no OpenFlow number yet`, 'the ovs component creates them; check its error');
      const sw = await OpenFlowClient.connect(endpoint);
      try {
        observed = { ports, report: await applyPipeline(sw, compiled, ports, { dryRun: true }) };
        return observed;
      } finally {
        await sw.close();
      }
    },
    reconcile(o) {
      const d = o.report.diff;
      const out: Change[] = [];
      const summary = (n: number, what: string) => n && out.push({ describe: `${what} ${n} flow${n === 1 ? '' : 's'}` });
      summary(d.added.length, 'add');
      summary(d.modified.length, 'modify');
      summary(d.deleted.length, 'delete');
      const m = o.report.meters;
      if (m.added + m.modified + m.deleted) out.push({ describe: `meters: +${m.added} ~${m.modified} -${m.deleted}` });
      // Name a few flows so `plan` shows what moves, not only counts.
      for (const f of d.added.slice(0, 3)) out.push({ describe: `  + ${flowText(f)}` });
      return out;
    },
    async apply() {
      const sw = await OpenFlowClient.connect(endpoint);
      try {
        await applyPipeline(sw, compiled, observed!.ports);
      } finally {
        await sw.close();
      }
    },
  };
}
