/**
 * Test topology for the flow integration tests: a private OVS (userspace
 * datapath) in a node namespace, the bridge and internal ports created through
 * privroute's OVSDB client (ensureBridge/ensurePorts, MACs from the address plan),
 * every socket moved into its own namespace with its address-plan address.
 * Packets are then real: crafted with _craft.py (AF_PACKET), counted with tcpdump.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../src/config/types.js';
import type { Topology, TopologyPort } from '../../../src/topology/addressing.js';
import { spawnArgv } from '../../../src/host/local.js';
import { createNetns, startOvs, startProcess, waitFor, type OvsInstance, type Proc, type Scope } from '../../../src/lab/harness/index.js';
import { OvsdbBridges } from '../../../src/ovs/ovsdb/bridge.js';
import { OvsdbClient } from '../../../src/ovs/ovsdb/rpc.js';

export const CRAFT = path.join(path.dirname(fileURLToPath(import.meta.url)), '_craft.py');

/** A running lab: namespace per port. */
export interface FlowLab {
  scope: Scope;
  ovs: OvsInstance;
  nodeNs: string;
  /** port name → namespace it lives in. */
  nsOf: Record<string, string>;
  ofports: Map<string, number>;
  topo: Topology;
  bridge: string;
}

/** Run argv in namespace `ns`; resolves with stdout; okCodes default [0]. */
export async function inNs(ns: string, argv: string[], okCodes: number[] = [0], timeoutMs = 30_000): Promise<{ stdout: string; code: number }> {
  const r = await spawnArgv(`netns:${ns}`, ['ip', 'netns', 'exec', ns, ...argv], { okCodes, timeoutMs });
  return { stdout: r.stdout + r.stderr, code: r.code };
}

/** Create the bridge and ports through OVSDB (product path); returns name → ofport. */
export async function ensureSwitch(ovs: OvsInstance, topo: Topology): Promise<Map<string, number>> {
  const db = await OvsdbClient.connect(ovs.dbEndpoint);
  try {
    const b = new OvsdbBridges(db);
    await b.ensureBridge({ name: topo.bridge, datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13', 'OpenFlow14'] });
    const r = await b.ensurePorts(topo.bridge, topo.ports.map((p) => ({ name: p.name, type: 'internal' as const, mac: p.mac })));
    return r.ofports;
  } finally {
    await db.close();
  }
}

/** Move (or re-move after a vswitchd restart) each port from the node namespace into its own, with its address. */
export async function placePorts(lab: Pick<FlowLab, 'nodeNs' | 'nsOf' | 'topo'>): Promise<void> {
  for (const p of lab.topo.ports) {
    const ns = lab.nsOf[p.name]!;
    // After a vswitchd restart the moved tap may linger dead in the namespace: remove it first.
    await spawnArgv('local', ['ip', '-n', ns, 'link', 'del', p.name], { okCodes: [0, 1, 2] });
    await waitFor(`${p.name} in node namespace`, async () => (await spawnArgv('local', ['ip', '-n', lab.nodeNs, 'link', 'show', p.name], { okCodes: [0, 1] })).code === 0);
    await spawnArgv('local', ['ip', '-n', lab.nodeNs, 'link', 'set', p.name, 'netns', ns]);
    // The Interface.mac column pins the MAC; make sure the kernel side agrees (netdev taps).
    await spawnArgv('local', ['ip', '-n', ns, 'link', 'set', p.name, 'address', p.mac]);
    await spawnArgv('local', ['ip', '-n', ns, 'addr', 'add', `${p.ip}/${p.prefixLen}`, 'dev', p.name]);
    await spawnArgv('local', ['ip', '-n', ns, 'link', 'set', p.name, 'up']);
  }
}

/** Build the whole lab for `config` (whose ovs section is rewritten to the private OVS). */
export async function startFlowLab(scope: Scope, config: Config, topo: Topology): Promise<FlowLab> {
  const node = await createNetns(scope, 'node');
  const nodeNs = node.name;
  const ovs = await startOvs(scope, { ns: nodeNs });
  const r = config.plugins.privacy_router;
  Object.assign(r.ovs, { db: ovs.dbEndpoint, rundir: ovs.rundir, openflow: null, datapath_type: 'netdev', fail_mode: 'secure' });
  const nsOf: Record<string, string> = {};
  for (const p of topo.ports) {
    const ns = await createNetns(scope, `p${p.objectId}`);
    nsOf[p.name] = ns.name;
  }
  const ofports = await ensureSwitch(ovs, topo);
  const lab: FlowLab = { scope, ovs, nodeNs, nsOf, ofports, topo, bridge: topo.bridge };
  await placePorts(lab);
  return lab;
}

/** A tcpdump on `port`'s interface in its namespace, printing one line per matching packet (-e: MACs, -v: TTL). */
export async function capture(lab: FlowLab, port: TopologyPort, name: string, filter: string[]): Promise<Proc> {
  const p = await startProcess(lab.scope, { name, ns: lab.nsOf[port.name]!, argv: ['tcpdump', '-i', port.name, '-Q', 'in', '-n', '-e', '-v', '-l', '-U', ...filter] });
  await waitFor(`${name} listening`, () => /listening on/.test(p.log()));
  return p;
}

/** Packets of a tcpdump log, one string per packet (the -v continuation lines joined on). */
export function packets(p: Proc): string[] {
  const out: string[] = [];
  for (const line of p.log().split('\n')) {
    if (/^\d\d:\d\d:\d\d\.\d+ [0-9a-f]{2}(:[0-9a-f]{2}){5} > /.test(line)) out.push(line);
    else if (/^\s+\S/.test(line) && out.length) out[out.length - 1] += ' ' + line.trim();
  }
  return out;
}

/** Source ports of the captured UDP/TCP packets (`a.b.c.d.SPORT > ...`). */
export function sourcePorts(p: Proc): number[] {
  return packets(p).map((l) => Number(/ \d+\.\d+\.\d+\.\d+\.(\d+) > /.exec(l)?.[1] ?? -1));
}

/** Craft and send frames from `from` (in its namespace). */
export async function craft(lab: FlowLab, from: TopologyPort, o: { srcMac?: string; dstMac: string; srcIp?: string; dstIp: string; proto: 'tcp' | 'udp'; flags?: number; sport: number; dport: number; count?: number; ttl?: number; frag?: boolean }): Promise<void> {
  await inNs(lab.nsOf[from.name]!, [
    'python3', CRAFT, from.name, o.srcMac ?? from.mac, o.dstMac, o.srcIp ?? from.ip, o.dstIp, o.proto, String(o.flags ?? 0),
    String(o.sport), String(o.dport), String(o.count ?? 1), String(o.ttl ?? 64), o.frag ? '1' : '0',
  ]);
}
