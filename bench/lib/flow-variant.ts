/**
 * Bench hook: run the lab's bridge with a variant of privroute's OpenFlow flows
 * (one thing taken out), measure, then put privroute's flows back exactly
 * (`ovs-ofctl replace-flows` with the dump taken before; verified by a second dump).
 * Lab only: the variants remove protections and must never outlive the measurement.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Lab } from '../../src/lab/lab.js';

/** A rewrite of the bridge's flow dump (one flow per line, `ovs-ofctl dump-flows --no-stats` text). */
export type FlowRewrite = (lines: string[]) => string[];

/** The OpenFlow version privroute's lab bridge speaks (1.4 and 1.5 only). */
const OF = 'OpenFlow14';

/**
 * Conntrack off: stage 20 sends chain traffic straight to the privacy chain (30), as it
 * does with security off, and the commit flows of stage 21 (then unreachable) lose `ct(commit)`.
 */
export const withoutConntrack: FlowRewrite = (lines) =>
  lines.map((l) => l.replace(/actions=ct\(table=(\d+),zone=\d+\)/, 'actions=goto_table:30').replace(/ct\(commit,zone=\d+\),/, ''));

/** Meters off: ARP/ICMP allow flows without their `meter:N` instruction. */
export const withoutMeters: FlowRewrite = (lines) => lines.map((l) => l.replace(/meter:\d+,/, ''));

/** Obfuscation off: egress to warp0 without the TTL rewrite and the rotating source MAC. */
export const withoutObfuscation: FlowRewrite = (lines) => lines.map((l) => l.replace(/mod_nw_ttl:\d+,/, '').replace(/set_field:[0-9a-f:]+->eth_src,/, ''));

/** The lab bridge's flows, one per line (cookies kept, statistics left out). */
async function dump(lab: Lab, bridge: string): Promise<string[]> {
  const out = await lab.ovs.ofctl(['-O', OF, 'dump-flows', '--no-stats', bridge]);
  return out.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('OFPST_') && !l.startsWith('NXST_'));
}

async function replace(lab: Lab, bridge: string, lines: string[], name: string): Promise<void> {
  const file = path.join(lab.dir, `flows-${name}.txt`);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  await lab.ovs.ofctl(['-O', OF, 'replace-flows', bridge, file]);
}

/** Run `fn` with the bridge's flows rewritten by `rewrite`; privroute's flows are always put back and checked. */
export async function withFlowVariant<T>(lab: Lab, bridge: string, name: string, rewrite: FlowRewrite, fn: (changed: number) => Promise<T>): Promise<T> {
  const before = await dump(lab, bridge);
  const after = rewrite(before);
  const changed = after.filter((l, i) => l !== before[i]).length;
  if (changed === 0) throw new Error(`flow variant ${name}: the rewrite changed no flow (the dump format moved?)`);
  await replace(lab, bridge, after, name);
  try {
    return await fn(changed);
  } finally {
    await replace(lab, bridge, before, 'restore');
    const back = await dump(lab, bridge);
    if (back.slice().sort().join('\n') !== before.slice().sort().join('\n')) throw new Error(`flow variant ${name}: privroute's flows did not come back exactly`);
  }
}
