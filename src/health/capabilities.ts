/**
 * What the appliance can really do on this node, beyond hop health — today:
 * whether MAC rotation can work, and the MACs in force. MAC rotation moves each
 * link's address where the link lives (src/rotation/mac.ts), so it is available
 * when every rotatable port's link is found there: the container sockets inside
 * their containers, warp0 / nm-privacy on the node. Read-only (`ip -j link` per
 * port through the runtime's executors, and the store).
 */
import type { ApplianceContext } from '../appliance/context.js';
import { readLinkMac } from '../net/link-mac.js';
import { lastSuccessful } from '../state/rotations.js';
import { readJournal } from '../rotation/mac-journal.js';
import { execFor } from '../rotation/mac.js';
import { linkHome } from '../rotation/mac-plan.js';

/** A capability and, when unavailable, why. */
export interface Capability {
  available: boolean;
  reason?: string;
}

/** MAC rotation's capability plus the facts `status` reports (MACs are not secret). */
export interface MacRotationCapability extends Capability {
  /** Finish time of the last successful rotation, or null if the MACs were never rotated. */
  lastRotation: string | null;
  /** The MAC each port must carry under the salt in force. */
  macs: Record<string, string>;
  /** Set while an interrupted rotation waits for `init`. */
  pending?: string;
}

/** Rotatable ports whose link is not where it lives (`name (where)`). */
export async function unreachableLinks(ctx: ApplianceContext): Promise<string[]> {
  const out: string[] = [];
  for (const p of ctx.topology.ports) {
    const home = linkHome(p);
    if (home.kind === 'foreign') continue;
    const mac = await readLinkMac(execFor(ctx, home), p.name).catch(() => null);
    if (mac === null) out.push(`${p.name} (${home.kind === 'container' ? `CT ${home.id}` : 'node'})`);
  }
  return out;
}

/** Can the MACs be rotated here, and which are in force? */
export async function macRotationCapability(ctx: ApplianceContext): Promise<MacRotationCapability> {
  const missing = await unreachableLinks(ctx);
  const j = readJournal(ctx.store);
  const facts = {
    lastRotation: lastSuccessful(ctx.store, 'mac')?.finishedAt ?? null,
    macs: Object.fromEntries(ctx.topology.ports.map((p) => [p.name, p.mac])),
    ...(j ? { pending: `rotation #${j.rotationId} started ${j.startedAt} did not finish; \`privroute init\` finishes it` } : {}),
  };
  return missing.length
    ? { available: false, reason: `links ${missing.join(', ')} are not where they live; run \`privroute init\` to place them`, ...facts }
    : { available: true, ...facts };
}
