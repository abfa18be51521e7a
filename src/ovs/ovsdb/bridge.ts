/**
 * Apply layer for the bridge and its internal ports: observe -> plan (pure, plan.ts)
 * -> one guarded transaction -> wait until ovs-vswitchd applied it (cur_cfg >=
 * next_cfg, so ofport numbers are assigned) -> observe again. A `wait` guard that
 * fails (someone changed the rows we read) makes us re-read and retry.
 *
 * A second call with the same desired state sends no mutating transaction.
 */
import { OperationError } from '../../core/errors.js';
import { planBridge, planPorts, type DesiredBridge, type DesiredPort, type Plan } from './plan.js';
import { bridgePorts, DB, observeSwitch, type BridgePortView, type ObservedSwitch } from './state.js';
import { TransactError, type OvsdbClient } from './rpc.js';

export type { DesiredBridge, DesiredPort } from './plan.js';

/** Outcome of an ensure call. */
export interface EnsureResult {
  /** True if a transaction with changes was committed. */
  changed: boolean;
  /** Human-readable changes made (empty when none). */
  changes: string[];
  /** Desired ports that exist but privroute does not own (left untouched). */
  foreign: string[];
  /** name -> OpenFlow port number for every port on the bridge with a valid ofport. */
  ofports: Map<string, number>;
  /** Ports on the bridge after the call. */
  ports: BridgePortView[];
}

export interface EnsureOptions {
  /** How long to wait for ovs-vswitchd to apply the change (cur_cfg). Default 15 s. */
  cfgTimeoutMs?: number;
  /** Attempts when a `wait` guard fails because of a concurrent writer. Default 5. */
  attempts?: number;
}

/**
 * Wait until Open_vSwitch.cur_cfg >= `target` using a monitor (no polling).
 * Rejects after `timeoutMs` with a hint that ovs-vswitchd may not be running.
 */
export async function waitCurCfg(client: OvsdbClient, target: number, timeoutMs = 15_000): Promise<void> {
  const id = `privroute-cfg-${target}-${Math.random().toString(36).slice(2, 8)}`;
  let done!: () => void;
  const reached = new Promise<void>((r) => (done = r));
  const check = (u: Record<string, Record<string, { new?: Record<string, unknown> }>>): void => {
    for (const row of Object.values(u.Open_vSwitch ?? {})) if (Number(row.new?.cur_cfg) >= target) done();
  };
  const initial = await client.monitor(DB, id, { Open_vSwitch: { columns: ['cur_cfg'] } }, check);
  check(initial);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      reached,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OperationError('ovsdb', `ovs-vswitchd did not apply configuration ${target} within ${timeoutMs} ms`, { hint: 'is ovs-vswitchd running and connected to this database?' })), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await client.monitorCancel(id).catch(() => undefined);
  }
}

async function apply(client: OvsdbClient, bridge: string, planFn: (s: ObservedSwitch) => Plan, o: EnsureOptions): Promise<EnsureResult> {
  const attempts = o.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const s = await observeSwitch(client);
    const plan = planFn(s);
    if (!plan.ops.length) return result(s, bridge, plan, false);
    try {
      const res = await client.transact(DB, plan.ops);
      const nextCfg = Number(res[res.length - 1]?.rows?.[0]?.next_cfg);
      await waitCurCfg(client, nextCfg, o.cfgTimeoutMs);
      return result(await observeSwitch(client), bridge, plan, true);
    } catch (e) {
      // Wait guard failed: a concurrent writer changed what we read. Re-read and re-plan.
      if (e instanceof TransactError && e.isWaitFailure && attempt < attempts) continue;
      throw e;
    }
  }
}

function result(s: ObservedSwitch, bridge: string, plan: Plan, changed: boolean): EnsureResult {
  const ports = bridgePorts(s, bridge) ?? [];
  const ofports = new Map<string, number>();
  // OVSDB stores reserved ports in 16-bit form (the bridge's local port is 65534); OpenFlow 1.1+
  // needs the 32-bit form (OFPP_LOCAL = 0xfffffffe), or OVS rejects it as a bad port.
  for (const p of ports) if (p.ofport !== undefined && p.ofport > 0) ofports.set(p.name, p.ofport >= 0xff00 ? (0xffff0000 | p.ofport) >>> 0 : p.ofport);
  return { changed, changes: plan.changes, foreign: plan.foreign, ofports, ports };
}

/** Create the bridge or correct datapath_type / fail_mode / protocols (extra protocols kept). */
export function ensureBridge(client: OvsdbClient, desired: DesiredBridge, opts: EnsureOptions & { owner?: string } = {}): Promise<EnsureResult> {
  return apply(client, desired.name, (s) => planBridge(desired, s, opts.owner), opts);
}

/**
 * Make the privroute-owned internal ports on `bridge` exactly `desired`: add
 * missing ones, set MACs, remove stale owned ones; ports not owned by `owner` are
 * never touched. One transaction; returns the resulting name -> ofport map.
 */
export function ensurePorts(client: OvsdbClient, bridge: string, desired: DesiredPort[], owner = 'privroute', opts: EnsureOptions = {}): Promise<EnsureResult> {
  return apply(client, bridge, (s) => planPorts(bridge, desired, s, owner), opts);
}

/** The bridge's ports as observed now, or undefined if the bridge does not exist. */
export async function observeBridge(client: OvsdbClient, bridge: string): Promise<BridgePortView[] | undefined> {
  return bridgePorts(await observeSwitch(client), bridge);
}

/**
 * Watch a bridge: calls `onChange` with the bridge's ports (undefined if it
 * vanished) after any change to Bridge/Port/Interface rows (coalesced over 50 ms).
 * Returns a stop function. Used by the daemon to notice ports removed behind its back.
 */
export async function watchBridge(client: OvsdbClient, bridge: string, onChange: (ports: BridgePortView[] | undefined) => void): Promise<() => Promise<void>> {
  const id = `privroute-watch-${bridge}-${Math.random().toString(36).slice(2, 8)}`;
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void observeBridge(client, bridge).then(onChange, () => undefined), 50);
  };
  await client.monitor(DB, id, { Bridge: { columns: ['name', 'ports'] }, Port: { columns: ['name', 'interfaces', 'external_ids'] }, Interface: { columns: ['name', 'ofport', 'mac_in_use'] } }, fire);
  return async () => {
    clearTimeout(timer);
    await client.monitorCancel(id).catch(() => undefined);
  };
}

/** Convenience facade bound to one client (the shape the rest of privroute calls). */
export class OvsdbBridges {
  constructor(readonly client: OvsdbClient, readonly opts: EnsureOptions = {}) {}
  ensureBridge(desired: DesiredBridge): Promise<EnsureResult> {
    return ensureBridge(this.client, desired, this.opts);
  }
  ensurePorts(bridge: string, desired: DesiredPort[], owner = 'privroute'): Promise<EnsureResult> {
    return ensurePorts(this.client, bridge, desired, owner, this.opts);
  }
  observe(bridge: string): Promise<BridgePortView[] | undefined> {
    return observeBridge(this.client, bridge);
  }
}
