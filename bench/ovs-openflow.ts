/**
 * Benchmark: privroute's OpenFlow client vs ovs-ofctl, same run, same bridge, same
 * flows (the ovs-ofctl file is rendered from the same Flow objects).
 *  - atomic install of 10k and 50k flows: applyBundle vs `ovs-ofctl --bundle add-flows`
 *  - the read half of a no-op reconcile of 10k flows: dumpFlows(cookie/mask) vs
 *    `ovs-ofctl --bundle replace-flows` with an identical file (which dumps, diffs, sends nothing)
 * Each measurement is the median of several runs; the bridge is emptied between runs.
 * Prints one JSON object. Run as root: `node --import tsx bench/ovs-openflow.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createNetns, Scope, startOvs, uniquePrefix } from '../src/lab/harness/index.js';
import { spawnArgv } from '../src/host/local.js';
import { OpenFlowClient } from '../src/ovs/openflow/client.js';
import { renderFlow } from '../src/ovs/flow-text.js';
import type { Flow } from '../src/ovs/flow.js';

const PREFIX = 0x7072000000000000n;
const MASK = 0xffff000000000000n;
const REPS = Number(process.env.BENCH_REPS ?? 3);

/** n distinct, realistic flows: per-source security/ACL-style entries across a few tables. */
function makeFlows(n: number): Flow[] {
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const table = 10 + (i % 4) * 10;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    flows.push({
      table, priority: 100 + (i % 50), cookie: PREFIX | BigInt(i),
      match: { in_port: 1 + (i % 3), eth_type: 0x0800, ip_proto: 6, ipv4_src: ip, tcp_dst: 1 + (i % 60000) },
      actions: i % 2 ? [{ type: 'set_field', field: 'reg0', value: i }, { type: 'output', port: 2 }] : [{ type: 'ct', commit: true, zone: 5, table: table + 1 }],
    });
  }
  return flows;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const scope = new Scope(uniquePrefix('prb'));
try {
  const ns = `${scope.prefix}n`;
  await createNetns(scope, ns);
  const ovs = await startOvs(scope, { ns });
  const br = `${scope.prefix}br`;
  await ovs.addBridge(br);
  for (let i = 1; i <= 3; i++) await ovs.vsctl(['add-port', br, `${scope.prefix}p${i}`, '--', 'set', 'Interface', `${scope.prefix}p${i}`, 'type=internal', `ofport_request=${i}`]);
  const mgmt = `unix:${ovs.mgmtSocket(br)}`;
  // ovs-ofctl talks to the same management socket (the bridge name would need OVS_RUNDIR).
  const ofctl = (args: string[]) => spawnArgv('bench', ['ovs-ofctl', '-O', 'OpenFlow13', ...args.map((a) => (a === br ? mgmt : a))], { timeoutMs: 600_000 });
  const count = async (): Promise<number> => (await ofctl(['dump-aggregate', br])).stdout.match(/flow_count=(\d+)/)![1]! as unknown as number;
  // Same wire version as the peer (-O OpenFlow13, ONF bundles) unless BENCH_OF=14 asks for native 1.4 bundles.
  const client = await OpenFlowClient.connect(mgmt, { timeoutMs: 600_000, versions: [process.env.BENCH_OF === '14' ? 5 : 4] });
  const out: Record<string, unknown> = { ovs: (await ofctl(['--version'])).stdout.split('\n')[0], openflow_version: client.version, reps: REPS };

  for (const n of [10_000, 50_000]) {
    const flows = makeFlows(n);
    const file = path.join(scope.dir, `flows-${n}.txt`);
    writeFileSync(file, flows.map(renderFlow).join('\n') + '\n');
    const mods = flows.map((flow) => ({ command: 'add' as const, flow }));
    const ours: number[] = [];
    const peer: number[] = [];
    const table = async (): Promise<string> => (await ofctl(['dump-flows', br, '--no-stats'])).stdout.split('\n').slice(1).sort().join('\n');
    for (let r = 0; r < REPS; r++) {
      await ofctl(['del-flows', br]);
      ours.push(await time(() => client.applyBundle(mods)));
      if (Number(await count()) !== n) throw new Error(`privroute installed ${await count()} of ${n}`);
      const mine = r === 0 ? await table() : '';
      await ofctl(['del-flows', br]);
      peer.push(await time(() => ofctl(['--bundle', 'add-flows', br, file])));
      if (Number(await count()) !== n) throw new Error(`ovs-ofctl installed ${await count()} of ${n}`);
      // Both tools must have produced the very same flow table (checked once per size).
      if (r === 0 && mine !== (await table())) throw new Error('privroute and ovs-ofctl installed different flow tables');
    }
    out[`install_${n}`] = { privroute_s: median(ours), ovs_ofctl_bundle_s: median(peer), speedup: +(median(peer) / median(ours)).toFixed(2), privroute_runs: ours, ovs_ofctl_runs: peer };
  }

  // No-op reconcile read half, 10k flows installed.
  const flows = makeFlows(10_000);
  const file = path.join(scope.dir, 'flows-10000.txt');
  await ofctl(['del-flows', br]);
  await client.applyBundle(flows.map((flow) => ({ command: 'add' as const, flow })));
  const dumps: number[] = [];
  const replaces: number[] = [];
  let dumped = 0;
  for (let r = 0; r < Math.max(REPS, 5); r++) {
    dumps.push(await time(async () => (dumped = (await client.dumpFlows({ cookie: PREFIX, cookieMask: MASK })).length)));
    replaces.push(await time(() => ofctl(['--bundle', 'replace-flows', br, file])));
  }
  if (dumped !== 10_000) throw new Error(`dumpFlows returned ${dumped}`);
  out.noop_read_10000 = { privroute_dumpFlows_s: median(dumps), ovs_ofctl_replace_flows_s: median(replaces), ratio: +(median(dumps) / median(replaces)).toFixed(3), privroute_runs: dumps, ovs_ofctl_runs: replaces };
  await client.close();
  console.log(JSON.stringify(out));
} finally {
  await scope.close();
}
