/**
 * MAC rotation: a new `mac_salt` in the store (the address plan derives every
 * port's MAC from it, src/topology/addressing.ts deriveMac), then the appliance
 * components run (OVSDB sets the new MACs, flows are recompiled for them), then
 * the MACs actually in use are read back. If init does not converge or a port
 * does not carry its new MAC, the old salt is restored and init run again, and
 * the rotation is reported unavailable with the reason — never claimed. Ports
 * ovs-vswitchd cannot see (sockets moved into containers) make it unavailable
 * before anything is touched.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { converged, runComponents, type ComponentReport } from '../core/runner.js';
import { applianceComponents, applianceContext, type ApplianceContext } from '../appliance/index.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, observeSwitch } from '../ovs/ovsdb/state.js';
import type { StateStore } from '../state/store.js';
import type { HostExec } from '../host/exec.js';
import { socketPlacements } from '../appliance/sockets.js';
import { macRotationCapability } from '../health/capabilities.js';
import { MAC_SALT_KEY } from '../topology/topology.js';

export { MAC_SALT_KEY };

/** Outcome of one rotation. */
export interface MacRotation {
  rotated: boolean;
  /** Ports now carrying their new MAC (rotated) / the mismatches (not rotated). */
  ports: { name: string; want: string; inUse: string | null }[];
  /** Why the rotation is unavailable (rotated = false). */
  reason?: string;
}

/** The MAC of link `name` as `exec` sees it (`ip -j link`), or null if it is not there. */
async function linkMac(exec: HostExec, name: string): Promise<string | null> {
  const r = await exec.run(['ip', '-j', 'link', 'show', 'dev', name], { okCodes: [0, 1] });
  if (r.code !== 0) return null;
  const links = JSON.parse(r.stdout || '[]') as { address?: string }[];
  return links[0]?.address?.toLowerCase() ?? null;
}

/**
 * Ports whose MAC in use differs from the plan. The MAC is read where the port
 * lives: OVSDB Interface.mac_in_use while vswitchd sees the device; for a socket
 * moved into its container (vswitchd no longer sees it there) the link inside
 * the container; otherwise the link on the node. `inUse` null = not visible.
 */
export async function macMismatches(ctx: ApplianceContext): Promise<MacRotation['ports']> {
  const r = ctx.config.plugins.privacy_router;
  const c = await OvsdbClient.connect(r.ovs.db);
  let ports: Map<string, { mac_in_use?: string }>;
  try {
    ports = new Map((bridgePorts(await observeSwitch(c), r.bridge_name) ?? []).map((p) => [p.name, p]));
  } finally {
    await c.close();
  }
  const inContainer = new Map(socketPlacements(ctx).map((p) => [p.name, p.containerId]));
  const out: MacRotation['ports'] = [];
  for (const p of ctx.topology.ports) {
    const want = p.mac.toLowerCase();
    let inUse = ports.get(p.name)?.mac_in_use?.toLowerCase() || null;
    if (!inUse) {
      const ct = inContainer.get(p.name);
      inUse = await linkMac(ct !== undefined ? ctx.runtime.exec(ct) : ctx.node, p.name).catch(() => null);
    }
    if (inUse !== want) out.push({ name: p.name, want, inUse });
  }
  return out;
}

function failedNames(reports: ComponentReport[]): string {
  return reports.filter((r) => r.status === 'failed' || r.status === 'skipped').map((r) => `${r.name}: ${r.detail ?? r.status}`).join('; ');
}

/** Rotate the MACs; see the module comment. Rejects only if even the rollback fails. */
export async function rotateMacs(config: Config, store: StateStore, logger?: Logger, rand: () => string = () => randomBytes(6).toString('hex')): Promise<MacRotation> {
  // Measured in the lab: a socket moved into its container keeps its MAC when
  // Interface.mac changes (vswitchd no longer sees the device there, mac_in_use is
  // empty). Rotating then would only recompile the flows for MACs nobody has — an
  // outage — so it is refused up front with nothing changed.
  const cap = await macRotationCapability(applianceContext(config, store, logger));
  if (!cap.available) return { rotated: false, ports: [], reason: `${cap.reason}; nothing was changed` };
  const old = store.getKv(MAC_SALT_KEY) ?? '';
  const next = rand();
  store.setKv(MAC_SALT_KEY, next);
  const ctx = applianceContext(config, store, logger);
  const reports = await runComponents(applianceComponents(ctx));
  let reason: string | undefined;
  let ports: MacRotation['ports'] = [];
  if (!converged(reports)) reason = `init with the new MACs did not converge (${failedNames(reports)})`;
  else {
    ports = await macMismatches(ctx);
    if (ports.length) reason = `the new MAC is not in use on ${ports.map((p) => `${p.name} (${p.inUse ? `still ${p.inUse}` : 'link not visible to privroute'}, want ${p.want})`).join(', ')}`;
  }
  if (!reason) return { rotated: true, ports: ctx.topology.ports.map((p) => ({ name: p.name, want: p.mac, inUse: p.mac })) };
  logger?.warn({ reason }, 'MAC rotation unavailable: restoring the previous MACs');
  store.setKv(MAC_SALT_KEY, old);
  const back = await runComponents(applianceComponents(applianceContext(config, store, logger)));
  if (!converged(back)) throw new Error(`MAC rotation failed (${reason}) and restoring the previous MACs did not converge either (${failedNames(back)})`);
  return { rotated: false, ports, reason };
}
