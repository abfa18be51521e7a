/**
 * Benchmark: the whole lab chain vs one WireGuard hop vs the raw OVS bridge vs the
 * same tools wired by hand (chain-recipe.md, bench/lib/hand-chain.ts), measured side by
 * side in one run, plus `lab up` wall time and the time of a no-op `privroute init` /
 * `plan` on the converged lab. Then the ATTRIBUTION: privroute's chain again with one
 * thing changed at a time (conntrack off, meters off, obfuscation off, all three,
 * engine statistics off, engine routing reduced, another MSS), each variant restored
 * right after its pass (flows by replace-flows + check, the rest by `privroute init`).
 *
 *   chain:   iperf3 client namespace → web host 198.18.4.2 (inet namespace). The TCP
 *            stream goes client wireguard-go → OVS → CT100 wireguard-go → OVS → CT101
 *            (v2ray, transparent REDIRECT) → VLESS/TLS → OVS → warp0 (wireguard-go) →
 *            WARP edge (wireguard-go) → VPS v2ray → inet. Up (client sends) and down (-R).
 *   one hop: iperf3 client namespace → 10.13.13.1, the gateway's own tunnel address in
 *            CT100: the same client wireguard-go → OVS → CT100 wireguard-go, nothing else.
 *   raw:     iperf3 over a plain OVS bridge (no WireGuard). privroute's own flows only let
 *            the client reach CT100's WireGuard UDP port, so the client→10.77.0.100 TCP
 *            path is probed first; when it is blocked (expected: fail closed) the raw bridge
 *            is a witness-made bridge in a second private OVS (same userspace netdev
 *            datapath, `actions=NORMAL`) with two internal ports moved into two namespaces.
 *
 * MTU check: the gateway's encrypted packets are its WireGuard MTU + 60 bytes (IPv4 endpoint).
 * If CT100's bridge port (its underlay) is smaller, the kernel fragments them and the
 * pipeline's security stage drops fragments: big packets towards the client are lost
 * (downloads stall). The JSON reports the MTUs; when they do not fit, a second,
 * diagnostic pass raises CT100's port to 1500 (a witness change made after the CLI
 * timings) and measures the WireGuard paths again.
 *
 * Every iperf3 run asks for the server's own report (--get-server-output) so the JSON
 * shows which address the server saw (the VPS for the chain: proof the stream really
 * went through every hop). Order is interleaved (chain, one hop, raw, per direction and
 * repetition) so background load hits every path alike.
 *
 * CPU: around every iperf3 run the bench reads /proc for the lab's processes (by exact
 * argv: the lab's wireguard-go interface names, engines whose config is in the lab dir,
 * its ovs-vswitchd) and the machine's total, and reports % of one core per process, the
 * rest of the machine, and core-seconds per Gbit moved (all lab processes / node side only).
 *
 * usage (root, from the build): npm run build && node dist/bench/lab-chain.js [--prefix lb1234] [--seconds 5] [--reps 3] [--cli-reps 3] [--ttfb-requests 100] [--no-variants] > bench/results/<date>-lab-chain.json
 * then: node scripts/bench-readme.mjs bench/results/<date>-lab-chain.json (rewrites the README's table).
 * Prints ONE JSON object on stdout (progress on stderr). Targets: chain/one-hop ≥ 0.5,
 * no-op init ≤ 2 s. The lab is always torn down (labDown in finally).
 */
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { NetnsExec } from '../src/host/netns.js';
import { labDown, labUp, type Lab } from '../src/lab/lab.js';
import { proveChain } from '../src/lab/proof.js';
import { Scope, uniquePrefix } from '../src/lab/harness/index.js';
import { siteAddr } from '../src/lab/world.js';
import { labIfnames } from '../src/lab/lab-config.js';
import { cliTimings, median, r3 } from './lib/cli-timing.js';
import { ALL_LABELLED, chainLabeller, type Labeller } from './lib/cpu.js';
import { withEngineVariant, withMux, withoutStats, withPlainRouting } from './lib/engine-variant.js';
import { withFlowVariant, withoutConntrack, withoutMeters, withoutObfuscation } from './lib/flow-variant.js';
import { buildHandChain } from './lib/hand-chain.js';
import { iperfServer, tcpReachable } from './lib/iperf.js';
import { withGatewayMss } from './lib/mss-variant.js';
import type { CountedIf } from './lib/packets.js';
import { attributionRow, medMbit, runPass, type Dir, type PassRuns, type Path } from './lib/passes.js';
import { rawBridge } from './lib/raw-bridge.js';
import { ttfb } from './lib/ttfb.js';

const { values: opt } = parseArgs({
  options: {
    prefix: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    'ttfb-requests': { type: 'string', default: '100' },
    variants: { type: 'boolean', default: true },
    'no-variants': { type: 'boolean', default: false },
    'cli-reps': { type: 'string', default: '3' },
  },
});
// A lab prefix is swept by startsWith: a random 6-char one never matches another run's resources.
const prefix = opt.prefix ?? uniquePrefix('lb');
if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new Error(`--prefix ${prefix}: 2-6 lowercase letters/digits starting with a letter`);
const SECONDS = Number(opt.seconds);
const REPS = Number(opt.reps);
const CLI_REPS = Number(opt['cli-reps']);
const VARIANTS = opt.variants && !opt['no-variants'];
const log = (l: string) => process.stderr.write(`[lab-chain] ${l}\n`);

const out: Record<string, unknown> = {
  bench: 'lab-chain',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100) },
  prefix,
  iperf3: { seconds: SECONDS, reps: REPS, streams: 1, rate: 'receiver' },
};
let lab: Lab | undefined;
const scopes: Scope[] = [];
const passes: Record<string, PassRuns> = {};
try {
  const t0 = performance.now();
  lab = await labUp({ prefix, log: (l) => log(l) });
  out.lab_up_s = r3((performance.now() - t0) / 1000);
  const proof = await proveChain(lab.world, { dnsServer: '10.13.13.1' });
  out.chain_proven = proof.ok;
  if (!proof.ok) throw new Error(`the chain did not prove itself: ${JSON.stringify(proof)}`);
  log(`lab up in ${out.lab_up_s} s; chain proven`);

  // No-op CLI runs on the converged lab, plus bare start-up (--version) to show Node's share.
  if (CLI_REPS > 0) {
    out.cli = await cliTimings(lab, CLI_REPS);
    log(`no-op init median ${(out.cli as any).noop_init_s.median} s`);
  }

  const { world } = lab;
  const web = siteAddr('inet').v4;
  const ct100 = labNs(lab, 'ct100');
  await iperfServer(lab.scope, world.inet, web, 5201, 'iperf-inet');
  await iperfServer(lab.scope, ct100, '10.13.13.1', 5201, 'iperf-ct100-wg');
  // Raw path on the lab's own bridge, if the pipeline lets it through at all.
  await iperfServer(lab.scope, ct100, '10.77.0.100', 5202, 'iperf-ct100-br');
  const rawOnLab = await tcpReachable(world.client, '10.77.0.100', 5202);
  let raw: { client: NetnsExec; addr: string; port: number; where: string; dir: string | null };
  if (rawOnLab) {
    raw = { client: world.client, addr: '10.77.0.100', port: 5202, where: "the lab's bridge: client access port → CT100 internal_100", dir: null };
  } else {
    const rawScope = new Scope(`${prefix}r`);
    scopes.push(rawScope);
    const rb = await rawBridge(rawScope);
    await iperfServer(rawScope, rb.b, rb.bAddr, 5201, 'iperf-raw');
    raw = {
      client: rb.a,
      addr: rb.bAddr,
      port: 5201,
      dir: rawScope.dir,
      where:
        "privroute's flows drop client → 10.77.0.100 TCP (only the WireGuard UDP port is allowed: fail closed), " +
        'so the raw bridge is a witness-made bridge in a second private OVS (userspace netdev datapath, actions=NORMAL), two internal ports in two namespaces',
    };
  }
  out.raw_bridge = { on_lab_bridge: rawOnLab, where: raw.where };
  log(`raw bridge: ${rawOnLab ? 'lab bridge' : 'separate witness bridge'}`);

  // The hand-built chain of chain-recipe.md, in its own namespaces (own prefix, own OVS).
  const handScope = new Scope(uniquePrefix('hb'));
  scopes.push(handScope);
  const hand = await buildHandChain(handScope);
  await iperfServer(handScope, hand.inet, hand.webAddr, 5201, 'iperf-hand-inet');
  await iperfServer(handScope, hand.ct100, hand.hopAddr, 5201, 'iperf-hand-ct100');
  out.hand_chain = { prefix: handScope.prefix, recipe: '../shared/reference/chain-recipe.md', flows: 'priority=0,actions=NORMAL', built_by: 'bench/lib/hand-chain.ts' };
  log(`hand-built chain up (${handScope.prefix})`);

  const paths: Record<string, Path> = {
    chain: { ns: world.client, addr: web, port: 5201 },
    one_wg_hop: { ns: world.client, addr: '10.13.13.1', port: 5201 },
    raw_bridge: { ns: raw.client, addr: raw.addr, port: raw.port },
    hand_chain: { ns: hand.client, addr: hand.webAddr, port: 5201 },
    hand_one_wg_hop: { ns: hand.client, addr: hand.hopAddr, port: 5201 },
  };

  // The MTUs privroute set: the gateway's WireGuard MTU and its underlay (CT100's bridge port).
  // An encrypted packet is the inner packet + 60 bytes (IPv4 endpoint) / + 80 (IPv6).
  const mtuOf = async (ns: NetnsExec, dev: string) => Number((await ns.run(['cat', `/sys/class/net/${dev}/mtu`])).stdout.trim());
  const wgMtu = await mtuOf(ct100, labIfnames(prefix).gateway);
  const underlayMtu = await mtuOf(ct100, 'internal_100');
  out.mtu = { gateway_wg: wgMtu, ct100_underlay: underlayMtu, underlay_needed_v4_endpoint: wgMtu + 60, underlay_needed_v6_endpoint: wgMtu + 80, ok: underlayMtu >= wgMtu + 60 };

  // Every process of every chain is labelled (tag '' = privroute's lab, 'hand', 'raw bridge').
  const labellers: Labeller[] = [
    chainLabeller({ tag: '', dir: lab.dir, ifnames: labIfnames(prefix), engines: [['/vps-files/', 'v2ray vps'], ['/ct101-files/', 'v2ray ct101']] }),
    chainLabeller({ tag: 'hand', dir: hand.dir, ifnames: hand.ifnames, engines: [['hand-v2ray-vps', 'v2ray vps'], ['hand-v2ray-ct101', 'v2ray ct101']] }),
    ...(raw.dir ? [chainLabeller({ tag: 'raw bridge', dir: raw.dir, ifnames: {}, engines: [] })] : []),
    (argv) => (path.basename(argv[0] ?? '') === 'iperf3' ? 'iperf3 (both ends)' : null),
  ];
  // Packets per MB of goodput at every wireguard-go interface of both chains (its cost is per packet).
  const li = labIfnames(prefix);
  const interfaces: CountedIf[] = [
    { label: 'wg client', ns: world.client, dev: li.client },
    { label: 'wg gateway', ns: ct100, dev: li.gateway },
    { label: 'wg warp', ns: world.node, dev: li.warp },
    { label: 'wg edge', ns: world.edge, dev: li.edge },
    ...Object.entries(hand.ifnames).map(([role, dev]) => ({ label: `hand wg ${role}`, ns: hand.ns[role === 'client' ? 'cli' : role === 'gateway' ? 'ct100' : role === 'warp' ? 'node' : 'edge']!, dev })),
  ];
  const pass = async (label: string, names: string[]) => {
    passes[label] = await runPass({ label, paths: Object.fromEntries(names.map((n) => [n, paths[n]!])), reps: REPS, seconds: SECONDS, labellers, interfaces, log });
    return passes[label]!;
  };
  const ratio = (a: number, b: number) => (b > 0 ? r3(a / b) : null);
  const ac = await pass('as_configured', Object.keys(paths));
  // Time to first byte of small requests: through the chain (client) and direct from the VPS.
  out.ttfb = await ttfb({ chain: lab.world.client, direct_from_vps: lab.world.vps }, lab.world.webUrl, Number(opt['ttfb-requests']));
  log(`ttfb medians: ${JSON.stringify((out.ttfb as any).median_ms)}`);

  // The same-run comparison (old keys kept for scripts/bench-readme.mjs).
  const NODE_SIDE = ['wireguard-go gateway', 'wireguard-go warp', 'v2ray ct101', 'ovs-vswitchd', 'raw bridge ovs-vswitchd'];
  const nodeSide = (runs: PassRuns, name: string, dir: Dir) => {
    const xs = runs[name]![dir].filter((r) => r.core_s_per_gbit).map((r) => NODE_SIDE.reduce((a, k) => a + (r.core_s_per_gbit![k] ?? r.core_s_per_gbit![`hand ${k}`] ?? 0), 0));
    return xs.length ? Math.round(median(xs) * 10) / 10 : null;
  };
  const both = <T>(f: (d: Dir) => T) => ({ up: f('up'), down: f('down') });
  const rows = Object.fromEntries(Object.keys(paths).map((n) => [n, attributionRow(n, ac, n)]));
  const asConfigured = {
    throughput_mbit_s: Object.fromEntries(Object.keys(paths).map((n) => [n, rows[n]!.mbit_s])),
    cpu_core_s_per_gbit: Object.fromEntries(Object.keys(paths).map((n) => [n, { lab: rows[n]!.core_s_per_gbit, node_side: both((d) => nodeSide(ac, n, d)) }])),
    chain_over_one_wg_hop: both((d) => ratio(medMbit(ac, 'chain', d), medMbit(ac, 'one_wg_hop', d))),
    one_wg_hop_over_raw_bridge: both((d) => ratio(medMbit(ac, 'one_wg_hop', d), medMbit(ac, 'raw_bridge', d))),
    chain_over_raw_bridge: both((d) => ratio(medMbit(ac, 'chain', d), medMbit(ac, 'raw_bridge', d))),
    chain_over_hand_chain: both((d) => ratio(medMbit(ac, 'chain', d), medMbit(ac, 'hand_chain', d))),
    one_wg_hop_over_hand_one_wg_hop: both((d) => ratio(medMbit(ac, 'one_wg_hop', d), medMbit(ac, 'hand_one_wg_hop', d))),
    hand_chain_over_hand_one_wg_hop: both((d) => ratio(medMbit(ac, 'hand_chain', d), medMbit(ac, 'hand_one_wg_hop', d))),
    targets: { chain_over_one_wg_hop: '>= 0.5', chain_over_hand_chain: '>= 1', one_wg_hop_over_hand_one_wg_hop: '>= 0.8' },
  };
  const atLeast = (o: { up: number | null; down: number | null }, t: number) => (o.up ?? 0) >= t && (o.down ?? 0) >= t;
  out.as_configured = {
    ...asConfigured,
    chain_over_one_wg_hop_target: '>= 0.5',
    met: atLeast(asConfigured.chain_over_one_wg_hop, 0.5),
    met_vs_hand: atLeast(asConfigured.chain_over_hand_chain, 1) && atLeast(asConfigured.one_wg_hop_over_hand_one_wg_hop, 0.8),
  };
  const attribution = [
    attributionRow("privroute's chain, as configured", ac, 'chain'),
    attributionRow('hand-built chain (chain-recipe.md)', ac, 'hand_chain'),
    attributionRow("privroute's one wireguard-go hop", ac, 'one_wg_hop'),
    attributionRow('hand-built one wireguard-go hop', ac, 'hand_one_wg_hop'),
    attributionRow('raw OVS bridge', ac, 'raw_bridge'),
  ];
  out.attribution = attribution;

  if (VARIANTS) {
    const bridge = 'ovsbr0';
    // One thing changed at a time; each is a pass of privroute's chain only, then restored.
    const variants: [string, string, () => Promise<unknown>][] = [
      ['no_conntrack', 'flows without ct(): stage 20 goes straight to 30, no ct(commit)', () => withFlowVariant(lab!, bridge, 'no-ct', withoutConntrack, () => pass('no_conntrack', ['chain']))],
      ['no_meters', 'flows without meter: on ARP/ICMP', () => withFlowVariant(lab!, bridge, 'no-meters', withoutMeters, () => pass('no_meters', ['chain']))],
      ['no_obfuscation', 'flows without the TTL rewrite and rotating egress MAC to warp0', () => withFlowVariant(lab!, bridge, 'no-obf', withoutObfuscation, () => pass('no_obfuscation', ['chain']))],
      ['flows_minimal', 'all three flow changes above at once', () =>
        withFlowVariant(lab!, bridge, 'minimal', (l) => withoutObfuscation(withoutMeters(withoutConntrack(l))), () => pass('flows_minimal', ['chain']))],
      ['engine_no_stats', 'both engines without stats/policy counters', () => withEngineVariant(lab!, { ct101: withoutStats, vps: withoutStats }, () => pass('engine_no_stats', ['chain']))],
      ['engine_plain_routing', 'both engines: routing AsIs, only the catch-all rule (VPS guards off)', () =>
        withEngineVariant(lab!, { ct101: withPlainRouting, vps: withPlainRouting }, () => pass('engine_plain_routing', ['chain']))],
      ['gateway_mss_1240', "CT100's MSS clamp 1240 instead of the WireGuard MTU − 40", () => withGatewayMss(lab!, 1240, () => pass('gateway_mss_1240', ['chain']))],
    ];
    const done: Record<string, unknown> = {};
    for (const [label, note, run] of variants) {
      try {
        await run();
        attribution.push(attributionRow(`variant ${label}: ${note}`, passes[label]!, 'chain'));
        done[label] = { note, ok: true };
      } catch (e) {
        // A variant that stalls a direction is a result, not a bench failure; privroute's state is restored by its hook.
        done[label] = { note, ok: false, error: (e as Error).message.split('\n')[0] };
        log(`variant ${label} failed: ${(done[label] as any).error}`);
        // Seen once under load: after a broken run CT101's transparent port refused every later
        // connection until the engines were restarted. Converge again so one failure does not cascade.
        const r = await lab.privroute(['init'], { okCodes: [0, 1] });
        (done[label] as any).reconverged = r.code === 0;
      }
    }
    out.variants = done;
    // Engine settings: mux on CT101's VLESS outbound (TTFB and throughput).
    out.variant_ct101_mux = await withEngineVariant(lab, { ct101: withMux(8) }, async () => {
      const t = await ttfb({ chain: lab!.world.client, direct_from_vps: lab!.world.vps }, lab!.world.webUrl, Number(opt['ttfb-requests']));
      const note = 'CT101 v2ray with mux {enabled, concurrency 8} on the VLESS outbound (bench-made variant)';
      try {
        const runs = await pass('variant_ct101_mux', ['chain']);
        return { note, ttfb: t, throughput_mbit_s: { up: medMbit(runs, 'chain', 'up'), down: medMbit(runs, 'chain', 'down') } };
      } catch (e) {
        return { note, ttfb: t, error: (e as Error).message.split('\n')[0] };
      }
    });
  }
  // Each attribution row against privroute's chain in the same run (CPU per Gbit: lower is cheaper).
  const base = attribution[0]!;
  out.attribution_vs_chain = attribution.map((r) => ({
    what: r.what,
    mbit_s: r.mbit_s,
    core_s_per_gbit: r.core_s_per_gbit,
    cost_over_chain: both((d) => (base.core_s_per_gbit[d] && r.core_s_per_gbit[d] !== null ? r3(r.core_s_per_gbit[d]! / base.core_s_per_gbit[d]!) : null)),
  }));
  out.chain_exit_seen_by_web = ac.chain!.up[0]!.server_saw;
  out.chain_exit_is_vps = out.chain_exit_seen_by_web === siteAddr('vps').v4;
  out.hand_chain_exit_seen_by_web = ac.hand_chain!.up[0]!.server_saw;
  out.cpu_note = `core-seconds per Gbit per process; "${ALL_LABELLED}" = every labelled process of every chain (the idle ones add ~0) plus iperf3`;
} catch (e) {
  out.error = (e as Error).message.split('\n').slice(0, 3).join(' | ');
  process.exitCode = 1;
} finally {
  out.runs = passes;
  for (const s of scopes.reverse()) await s.close().catch(() => undefined);
  if (lab) await lab.scope.close().catch(() => undefined);
  await labDown(prefix);
  out.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

/** A NetnsExec for one of the lab's namespaces by role. */
function labNs(l: Lab, role: string): NetnsExec {
  return new NetnsExec(`${l.prefix}-${role}`);
}
