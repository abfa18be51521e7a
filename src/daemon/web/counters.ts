/**
 * The counters behind the dashboard's traffic charts (read-only, cheap):
 *   client:<name>  the gateway's per-peer rx/tx (one UAPI/`wg` read);
 *   hop:<role>     OVS's per-port statistics for the gateway, XRay and WARP
 *                  ports (one OVSDB select), as the bridge counts them.
 * A source that cannot be read is skipped (its chart shows a gap), never fatal.
 */
import type { Config } from '../../config/types.js';
import { applianceTopology } from '../../topology/topology.js';
import { OvsdbClient } from '../../ovs/ovsdb/rpc.js';
import { DB } from '../../ovs/ovsdb/state.js';
import { mapValues } from '../../ovs/ovsdb/datum.js';
import type { StateStore } from '../../state/store.js';
import { listClients } from '../../tunnel/client-repo.js';
import type { WgBackend } from '../../tunnel/device/model.js';
import type { CounterReading } from './traffic.js';

/** Hop roles charted, in chain order. */
export const CHARTED_ROLES = ['gateway', 'xray', 'warp'] as const;

/** Per-client readings: peers on the device joined to stored clients by public key. */
export async function clientCounters(store: StateStore, backend: WgBackend | null): Promise<CounterReading[]> {
  if (!backend) return [];
  const byKey = new Map(listClients(store.db).map((c) => [c.publicKey, c.name]));
  const dev = await backend.get();
  return dev.peers.filter((p) => byKey.has(p.publicKey)).map((p) => ({ key: `client:${byKey.get(p.publicKey)!}`, rxBytes: p.rxBytes, txBytes: p.txBytes }));
}

/** Per-hop readings from OVS Interface statistics (ports of the address plan with a charted role). */
export async function hopCounters(config: Config, store: StateStore): Promise<CounterReading[]> {
  const r = config.plugins.privacy_router;
  const plan = applianceTopology(config, store);
  const roleOf = new Map(plan.ports.filter((p) => (CHARTED_ROLES as readonly string[]).includes(p.role)).map((p) => [p.name, p.role]));
  const c = await OvsdbClient.connect(r.ovs.db, { timeoutMs: 3000 });
  try {
    const [res] = await c.transact(DB, [{ op: 'select', table: 'Interface', where: [], columns: ['name', 'statistics'] }]);
    const out: CounterReading[] = [];
    for (const row of (res?.rows ?? []) as { name: string; statistics: unknown }[]) {
      const role = roleOf.get(row.name);
      if (!role) continue;
      const st = mapValues(row.statistics) as Record<string, number>;
      if (typeof st.rx_bytes === 'number' && typeof st.tx_bytes === 'number') out.push({ key: `hop:${role}`, rxBytes: st.rx_bytes, txBytes: st.tx_bytes });
    }
    return out;
  } finally {
    await c.close();
  }
}
