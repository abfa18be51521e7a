/** Short human descriptions of mods, for error messages (which flow failed). */
import type { FlowMod } from './flowmod.js';
import { renderFlow } from '../flow-text.js';

/** e.g. `add table=3,priority=10,cookie=0x1,in_port=1 actions=goto_table:1`. */
export function describeFlowMod(m: FlowMod): string {
  if (m.command === 'delete') return `delete table=${m.table ?? 'all'} cookie=0x${m.cookie.toString(16)}/0x${m.cookieMask.toString(16)}`;
  try {
    return `${m.command} ${renderFlow(m.flow)}`;
  } catch {
    return `${m.command} table=${m.flow.table} priority=${m.flow.priority}`;
  }
}
