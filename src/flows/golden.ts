/**
 * Human text of a compiled pipeline, grouped by stage: what golden tests compare
 * and what `privroute flows` prints for the desired side.
 */
import type { Flow, Meter } from '../ovs/flow.js';
import { PIPELINE } from './pipeline.js';
import { flowText } from './text.js';

/** `# <id> <stage>: <purpose>` headers followed by each table's flows, then meters. */
export function pipelineText(flows: readonly Flow[], meters: readonly Meter[] = []): string {
  const lines: string[] = [];
  const tables = [...new Set([...PIPELINE.map((t) => t.id), ...flows.map((f) => f.table)])].sort((a, b) => a - b);
  for (const id of tables) {
    const decl = PIPELINE.find((t) => t.id === id);
    lines.push(decl ? `# table ${id} ${decl.name}: ${decl.purpose} (miss: ${decl.miss})` : `# table ${id}`);
    for (const f of flows) if (f.table === id) lines.push(flowText(f));
  }
  if (meters.length) {
    lines.push('# meters');
    for (const m of meters) lines.push(`meter=${m.id} ${m.unit} rate=${m.rate}${m.burst !== undefined ? ` burst=${m.burst}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
