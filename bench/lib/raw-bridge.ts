/**
 * Bench baseline: a plain bridge — a second private OVS (userspace netdev datapath,
 * like the lab's), two internal ports moved into two namespaces, one NORMAL flow.
 * Registered with `scope` for cleanup.
 */
import type { NetnsExec } from '../../src/host/netns.js';
import { createNetns, startOvs, waitFor, type Scope } from '../../src/lab/harness/index.js';

/** Build the raw bridge; iperf3 from `a` to `bAddr` in `b`. */
export async function rawBridge(scope: Scope): Promise<{ a: NetnsExec; b: NetnsExec; bAddr: string }> {
  const p = scope.prefix;
  const sw = await createNetns(scope, `${p}-sw`);
  const ovs = await startOvs(scope, { ns: sw.name });
  const br = `${p}br`;
  await ovs.addBridge(br);
  const ends: NetnsExec[] = [];
  for (const [i, side] of (['a', 'b'] as const).entries()) {
    const port = `${p}${side}`;
    await ovs.vsctl(['add-port', br, port, '--', 'set', 'Interface', port, 'type=internal', `ofport_request=${i + 1}`]);
    const ns = await createNetns(scope, `${p}-${side}`);
    await waitFor(`internal port ${port}`, async () => (await sw.run(['ip', 'link', 'show', 'dev', port], { okCodes: [0, 1] })).code === 0);
    await sw.run(['ip', 'link', 'set', 'dev', port, 'netns', ns.name]);
    await ns.run(['ip', 'addr', 'add', `10.99.0.${i + 1}/24`, 'dev', port]);
    await ns.run(['ip', 'link', 'set', 'dev', port, 'up']);
    ends.push(ns);
  }
  await ovs.ofctl(['add-flow', br, 'priority=0,actions=NORMAL']);
  return { a: ends[0]!, b: ends[1]!, bAddr: '10.99.0.2' };
}
