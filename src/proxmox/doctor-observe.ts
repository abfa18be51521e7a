/**
 * `privroute doctor`, the observing half: read-only probes on the node (through its
 * HostExec), OVSDB (one select) and the VPS (an SSH session with the pinned host key,
 * running `true`). Nothing is created, started or written; each probe's failure is
 * recorded as what it found, never thrown.
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { withOvsdb } from '../ovs/ovsdb/rpc.js';
import { vpsExecFromConfig } from '../xray/connect.js';
import { observeBridgePorts } from './bridge-guard.js';
import type { NodeObservation } from './doctor.js';

/** A HostExec-like session to the VPS the probe opens and closes. */
export interface VpsProbe {
  run(argv: readonly string[], opts?: { timeoutMs?: number }): Promise<unknown>;
  close(): Promise<void>;
}

/** What {@link observeNode} reads through. */
export interface DoctorSources {
  /** The node (LocalExec on a node; the lab's node namespace in tests). */
  node: HostExec;
  /** Opens the VPS session; default: the config's SSH target (pinned host key). */
  vps?: (config: Config) => VpsProbe;
  /** Default process.versions.node. */
  nodeVersion?: string;
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Run argv; stdout, or `{error}` with the first line of the failure. */
async function probe(node: HostExec, argv: string[]): Promise<string | { error: string }> {
  try {
    return (await node.run(argv, { timeoutMs: 15_000 })).stdout;
  } catch (e) {
    return { error: msg(e) };
  }
}

/** Pure: `pct list` rows (VMID Status [Lock] Name). */
export function parsePctList(text: string): { id: number; name: string }[] {
  return text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? '')).map((f) => ({ id: Number(f[0]), name: f.length > 2 ? f.at(-1)! : '' }));
}

/** Pure: `pvesm status` rows (Name Type Status ...). */
export function parsePvesmStatus(text: string): { name: string; type: string; status: string }[] {
  return text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3).map((f) => ({ name: f[0]!, type: f[1]!, status: f[2]! }));
}

/** Pure: the volume ids in `pveam list <storage>` output. */
export function parsePveamList(text: string): string[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((v) => /^[^\s:]+:vztmpl\//.test(v));
}

async function ovsVersion(endpoint: string): Promise<NodeObservation['ovs']> {
  try {
    const [r] = await withOvsdb(endpoint, (c) => c.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [], columns: ['ovs_version'] }]), { timeoutMs: 5_000 });
    const v = r?.rows?.[0]?.ovs_version;
    return { version: typeof v === 'string' ? v : 'unknown version' };
  } catch (e) {
    return { error: msg(e) };
  }
}

async function vpsReachable(config: Config, open: (c: Config) => VpsProbe): Promise<NodeObservation['vps']> {
  if (!config.plugins.privacy_router.xray.enabled) return 'disabled';
  let s: VpsProbe | undefined;
  try {
    s = open(config);
    await s.run(['true'], { timeoutMs: 15_000 });
    return 'ok';
  } catch (e) {
    return { error: msg(e) };
  } finally {
    await s?.close().catch(() => undefined);
  }
}

/** Observe everything {@link planChecks} judges. Read-only; never throws for a failed probe. */
export async function observeNode(config: Config, src: DoctorSources): Promise<NodeObservation> {
  const r = config.plugins.privacy_router;
  const storage = r.runtime.template?.split(':')[0] ?? 'local';
  const [pve, wg, ovs, bridgePorts, templates, storages, containers, vps] = await Promise.all([
    probe(src.node, ['pveversion']),
    probe(src.node, ['modinfo', '-F', 'name', 'wireguard']),
    ovsVersion(r.ovs.db),
    observeBridgePorts(r.ovs.db, r.bridge_name).catch(() => null),
    probe(src.node, ['pveam', 'list', storage]),
    probe(src.node, ['pvesm', 'status']),
    probe(src.node, ['pct', 'list']),
    vpsReachable(config, src.vps ?? vpsExecFromConfig),
  ]);
  const map = <T>(v: string | { error: string }, f: (s: string) => T): T | { error: string } => (typeof v === 'string' ? f(v) : v);
  return {
    pveversion: typeof pve === 'string' ? pve : null,
    wireguardModule: typeof wg === 'string' && wg.trim() === 'wireguard',
    ovs,
    bridgePorts,
    templates: map(templates, parsePveamList),
    storages: map(storages, parsePvesmStatus),
    nodeVersion: src.nodeVersion ?? process.versions.node,
    containers: map(containers, parsePctList),
    vps,
  };
}
