/**
 * MAC rotation: a new `mac_salt` in the store (the address plan derives every
 * port's MAC from it, src/flows/addressing.ts deriveMac), then the appliance
 * components run (OVSDB sets the new MACs, flows are recompiled for them), then
 * the MACs actually in use are read back. If init does not converge or a port
 * does not carry its new MAC, the old salt is restored and init run again, and
 * the rotation is reported unavailable with the reason — never claimed.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { converged, runComponents, type ComponentReport } from '../core/runner.js';
import { applianceComponents, initContext, type InitContext } from '../init/index.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, observeSwitch } from '../ovs/ovsdb/state.js';
import type { StateStore } from '../state/store.js';

/** kv key the address plan reads. */
export const MAC_SALT_KEY = 'mac_salt';

/** Outcome of one rotation. */
export interface MacRotation {
  rotated: boolean;
  /** Ports now carrying their new MAC (rotated) / the mismatches (not rotated). */
  ports: { name: string; want: string; inUse: string | null }[];
  /** Why the rotation is unavailable (rotated = false). */
  reason?: string;
}

/** Ports whose MAC in use (OVSDB Interface.mac_in_use) differs from the plan. */
export async function macMismatches(ctx: InitContext): Promise<MacRotation['ports']> {
  const r = ctx.config.plugins.privacy_router;
  const c = await OvsdbClient.connect(r.ovs.db);
  try {
    const ports = new Map((bridgePorts(await observeSwitch(c), r.bridge_name) ?? []).map((p) => [p.name, p]));
    return ctx.topology.ports
      .map((p) => ({ name: p.name, want: p.mac.toLowerCase(), inUse: ports.get(p.name)?.mac_in_use?.toLowerCase() ?? null }))
      .filter((p) => p.want !== p.inUse);
  } finally {
    await c.close();
  }
}

function failedNames(reports: ComponentReport[]): string {
  return reports.filter((r) => r.status === 'failed' || r.status === 'skipped').map((r) => `${r.name}: ${r.detail ?? r.status}`).join('; ');
}

/** Rotate the MACs; see the module comment. Rejects only if even the rollback fails. */
export async function rotateMacs(config: Config, store: StateStore, logger?: Logger, rand: () => string = () => randomBytes(6).toString('hex')): Promise<MacRotation> {
  const old = store.getKv(MAC_SALT_KEY) ?? '';
  const next = rand();
  store.setKv(MAC_SALT_KEY, next);
  const ctx = initContext(config, store, logger);
  const reports = await runComponents(applianceComponents(ctx));
  let reason: string | undefined;
  let ports: MacRotation['ports'] = [];
  if (!converged(reports)) reason = `init with the new MACs did not converge (${failedNames(reports)})`;
  else {
    ports = await macMismatches(ctx);
    if (ports.length) reason = `OVSDB did not apply the new MAC on ${ports.map((p) => `${p.name} (in use ${p.inUse ?? 'none'}, want ${p.want})`).join(', ')}`;
  }
  if (!reason) return { rotated: true, ports: ctx.topology.ports.map((p) => ({ name: p.name, want: p.mac, inUse: p.mac })) };
  logger?.warn({ reason }, 'MAC rotation unavailable: restoring the previous MACs');
  store.setKv(MAC_SALT_KEY, old);
  const back = await runComponents(applianceComponents(initContext(config, store, logger)));
  if (!converged(back)) throw new Error(`MAC rotation failed (${reason}) and restoring the previous MACs did not converge either (${failedNames(back)})`);
  return { rotated: false, ports, reason };
}
