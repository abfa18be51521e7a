/**
 * Benchmark: 100 internal ports in ONE OVSDB transaction — privroute's ensurePorts
 * (JSON-RPC, wait-guarded, waits for cur_cfg so ofports are assigned) vs one
 * `ovs-vsctl add-port ... -- add-port ...` transaction (which also waits for
 * ovs-vswitchd by default). Same run, same bridge; ports removed between runs
 * (privroute's by ensurePorts([]), ovs-vsctl's by one `del-port` transaction).
 * Also reports the no-op second ensurePorts (idempotence cost). Prints one JSON object.
 */
import { createNetns, Scope, startOvs, uniquePrefix } from '../src/lab/harness/index.js';
import { OvsdbClient } from '../src/ovs/ovsdb/rpc.js';
import { ensureBridge, ensurePorts } from '../src/ovs/ovsdb/bridge.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const N = 100;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const scope = new Scope(uniquePrefix('prv'));
try {
  const ns = `${scope.prefix}n`;
  await createNetns(scope, ns);
  const ovs = await startOvs(scope, { ns });
  const client = await OvsdbClient.connect(ovs.dbEndpoint);
  const br = `${scope.prefix}br`;
  await ensureBridge(client, { name: br, datapath_type: 'netdev', fail_mode: 'secure', protocols: ['OpenFlow13'] });
  const names = Array.from({ length: N }, (_, i) => `${scope.prefix}q${i}`);
  const desired = names.map((name) => ({ name, type: 'internal' as const }));
  const ours: number[] = [];
  const noop: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let res!: Awaited<ReturnType<typeof ensurePorts>>;
    ours.push(await time(async () => (res = await ensurePorts(client, br, desired))));
    if (names.some((n) => !res.ofports.has(n))) throw new Error('privroute: not every port got an ofport');
    noop.push(await time(() => ensurePorts(client, br, desired)));
    await ensurePorts(client, br, []);
    const args = names.flatMap((n) => ['--', 'add-port', br, n, '--', 'set', 'Interface', n, 'type=internal']);
    peer.push(await time(() => ovs.vsctl(args.slice(1))));
    const listed = (await ovs.vsctl(['list-ports', br])).trim().split('\n');
    if (listed.length !== N) throw new Error(`ovs-vsctl: ${listed.length} ports`);
    await ovs.vsctl(names.flatMap((n) => ['--', 'del-port', br, n]).slice(1));
  }
  await client.close();
  console.log(JSON.stringify({
    ports: N,
    reps: REPS,
    privroute_one_transaction_s: median(ours),
    ovs_vsctl_one_transaction_s: median(peer),
    speedup: +(median(peer) / median(ours)).toFixed(2),
    privroute_noop_s: median(noop),
    privroute_runs: ours,
    ovs_vsctl_runs: peer,
  }));
} finally {
  await scope.close();
}
