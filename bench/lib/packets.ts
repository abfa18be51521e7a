/**
 * Bench packet accounting: the packet counters of named interfaces inside their
 * namespaces, sampled around a run, as packets per MB of goodput. wireguard-go's
 * cost is per packet, so a hop whose segments are small (or that carries many
 * retransmits or ACKs) shows it here. Read-only (`cat` of sysfs inside the namespace).
 */
import type { NetnsExec } from '../../src/host/netns.js';

/** An interface to count: where it lives and how the bench names it. */
export interface CountedIf {
  label: string;
  ns: NetnsExec;
  dev: string;
}

/** rx+tx packets per label. */
export type PacketSample = Record<string, number>;

/** Read rx_packets + tx_packets of every interface (an interface that is gone counts 0). */
export async function packetSample(ifs: readonly CountedIf[]): Promise<PacketSample> {
  const out: PacketSample = {};
  await Promise.all(
    ifs.map(async ({ label, ns, dev }) => {
      const r = await ns.run(['cat', `/sys/class/net/${dev}/statistics/rx_packets`, `/sys/class/net/${dev}/statistics/tx_packets`], { okCodes: [0, 1] });
      out[label] = r.code === 0 ? r.stdout.trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0) : 0;
    }),
  );
  return out;
}

/** Packets per MB of goodput between two samples (rx+tx), for the interfaces that moved any; null when nothing moved. */
export function packetsPerMb(a: PacketSample, b: PacketSample, goodputBytes: number): Record<string, number> | null {
  if (!(goodputBytes > 0)) return null;
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) {
    const d = b[k]! - (a[k] ?? 0);
    if (d > 0) out[k] = Math.round(d / (goodputBytes / 1e6));
  }
  return out;
}
