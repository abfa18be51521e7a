/**
 * OVS hop health, read-only over OVSDB: the bridge exists, fail_mode is secure
 * (no controller fallback to a learning switch), every port of the address plan
 * is present with an OpenFlow number and its pinned MAC, and nothing else `init`
 * would change (the ovs component's own reconcile, so status and init agree).
 */
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { bridgePorts, observeSwitch, type ObservedSwitch } from '../ovs/ovsdb/state.js';
import type { ApplianceContext } from '../appliance/context.js';
import { desiredPorts, ovsComponent } from '../appliance/ovs.js';
import { hopFrom, type HopHealth } from './types.js';
import { lostMarks } from '../proxmox/ovs-marks.js';

/** Judge an observed switch against the context (pure). */
export function judgeOvs(ctx: ApplianceContext, s: ObservedSwitch): HopHealth {
  const r = ctx.config.plugins.privacy_router;
  const name = r.bridge_name;
  const b = s.bridges.get(name);
  if (!b) return hopFrom('ovs', [{ name: 'ovs.bridge', ok: false, detail: `bridge ${name} does not exist` }], '');
  const checks: HopHealth['checks'] = [{ name: 'ovs.bridge', ok: true, detail: `bridge ${name} exists (${b.datapath_type || 'system'} datapath)` }];
  checks.push(b.fail_mode === 'secure'
    ? { name: 'ovs.fail_mode', ok: true, detail: 'fail_mode secure' }
    : { name: 'ovs.fail_mode', ok: false, detail: `fail_mode is ${b.fail_mode ?? '(unset = standalone)'}, not secure: without flows the bridge would switch traffic` });
  const ports = new Map((bridgePorts(s, name) ?? []).map((p) => [p.name, p]));
  const want = desiredPorts(ctx);
  const missing = want.filter((d) => !ports.has(d.name)).map((d) => d.name);
  const noOfport = want.filter((d) => ports.has(d.name) && !((ports.get(d.name)!.ofport ?? -1) > 0)).map((d) => d.name);
  checks.push(missing.length
    ? { name: 'ovs.ports', ok: false, detail: `port(s) missing: ${missing.join(', ')}` }
    : noOfport.length
      ? { name: 'ovs.ports', ok: false, detail: `port(s) without an OpenFlow number: ${noOfport.join(', ')}` }
      : { name: 'ovs.ports', ok: true, detail: `${want.length} port(s) present` });
  // An `ifreload -a` (ifupdown2) clears external_ids: the ports still work, but are no longer marked privroute's.
  const lost = lostMarks(s, name, want.map((d) => d.name), r.wireguard.access_port);
  checks.push(lost.length
    ? { name: 'ovs.marks', ok: false, detail: `privroute's mark is missing on ${[...new Set(lost.map((l) => l.name))].sort().join(', ')} (external_ids cleared, e.g. by ifreload -a); run privroute init` }
    : { name: 'ovs.marks', ok: true, detail: 'bridge and ports carry privroute\'s mark' });
  const drift = ovsComponent(ctx).plan(s).map((c) => c.describe);
  checks.push(drift.length ? { name: 'ovs.drift', ok: false, detail: `init would change: ${drift.join(', ')}` } : { name: 'ovs.drift', ok: true, detail: 'matches the plan' });
  const data = {
    bridge: name,
    fail_mode: b.fail_mode ?? null,
    ports: want.map((d) => ({ name: d.name, present: ports.has(d.name), ofport: ports.get(d.name)?.ofport ?? null, mac: ports.get(d.name)?.mac_in_use ?? null })),
  };
  return hopFrom('ovs', checks, `bridge ${name}: fail_mode secure, ${want.length} port(s) present`, data);
}

/** Observe OVSDB (one read-only transaction) and judge it. */
export async function ovsHealth(ctx: ApplianceContext): Promise<HopHealth> {
  const c = await OvsdbClient.connect(ctx.config.plugins.privacy_router.ovs.db);
  try {
    return judgeOvs(ctx, await observeSwitch(c));
  } finally {
    await c.close();
  }
}
