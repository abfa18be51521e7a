/**
 * Benchmark: the whole lab chain vs one WireGuard hop vs the raw OVS bridge,
 * measured side by side in one run, plus `lab up` wall time and the time of a
 * no-op `privroute init` / `plan` on the converged lab.
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
 * usage (root, from the build): npm run build && node dist/bench/lab-chain.js [--prefix lb1234] [--seconds 5] [--reps 3] [--cli-reps 3] [--ttfb-requests 100] > bench/results/<date>-lab-chain.json
 * then: node scripts/bench-readme.mjs bench/results/<date>-lab-chain.json (rewrites the README's table).
 * Prints ONE JSON object on stdout (progress on stderr). Targets: chain/one-hop ≥ 0.5,
 * no-op init ≤ 2 s. The lab is always torn down (labDown in finally).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { NetnsExec } from '../src/host/netns.js';
import { labDown, labUp, type Lab } from '../src/lab/lab.js';
import { proveChain } from '../src/lab/proof.js';
import { createNetns, Scope, startOvs, startProcess, uniquePrefix, waitFor } from '../src/lab/harness/index.js';
import { siteAddr } from '../src/lab/world.js';
import { labIfnames } from '../src/lab/lab-config.js';
import { cliTimings, median, r3 } from './lib/cli-timing.js';
import { ttfb } from './lib/ttfb.js';
import { withClientVariant, withMux } from './lib/engine-variant.js';

const { values: opt } = parseArgs({
  options: {
    prefix: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    'ttfb-requests': { type: 'string', default: '100' },
    variants: { type: 'boolean', default: true },
    'cli-reps': { type: 'string', default: '3' },
  },
});
// A lab prefix is swept by startsWith: a random 6-char one never matches another run's resources.
const prefix = opt.prefix ?? uniquePrefix('lb');
if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new Error(`--prefix ${prefix}: 2-6 lowercase letters/digits starting with a letter`);
const SECONDS = Number(opt.seconds);
const REPS = Number(opt.reps);
const CLI_REPS = Number(opt['cli-reps']);
const log = (l: string) => process.stderr.write(`[lab-chain] ${l}\n`);
const mbit = (bps: number) => Math.round(bps / 1e4) / 100;

/** One iperf3 run's result. */
interface Iperf {
  mbit_s: number;
  retransmits: number | null;
  server_saw: string | null;
  /** CPU during the run, % of one core per process group (CT100/CT101/node/lab stand-ins/others). */
  cpu_pct?: Record<string, number>;
}

/** CPU ticks (user+system, 1/100 s) per labelled lab process, and the machine's busy ticks. */
interface CpuSample {
  procs: Map<string, number>;
  machineBusy: number;
}

/** Label a process of this lab by its argv (null: not ours). */
function labelOf(argv: string[], dir: string, ifnames: Record<string, string>): string | null {
  const exe = path.basename(argv[0] ?? '');
  if (exe === 'wireguard-go') {
    const role = Object.entries(ifnames).find(([, n]) => n === argv.at(-1))?.[0];
    return role ? `wireguard-go ${role}` : null;
  }
  if (/^(v2ray|xray)$/.test(exe)) {
    const cfg = argv.find((a) => a.startsWith(dir + '/')) ?? '';
    return cfg.includes('/vps-files/') ? 'v2ray vps' : cfg.includes('/ct101-files/') ? 'v2ray ct101' : null;
  }
  // ovs-vswitchd's paths come as `unix:<dir>/...` and `--pidfile=<dir>/...`.
  if (exe === 'ovs-vswitchd' && argv.some((a) => a.includes(dir + '/'))) return 'ovs-vswitchd';
  // The raw-bridge baseline's own OVS lives in the sibling scope dir `<dir>r`.
  if (exe === 'ovs-vswitchd' && argv.some((a) => a.includes(dir + 'r/'))) return 'ovs-vswitchd (raw bridge)';
  if (exe === 'iperf3') return 'iperf3 (both ends)';
  return null;
}

function cpuSample(dir: string, ifnames: Record<string, string>): CpuSample {
  const procs = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const label = labelOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean), dir, ifnames);
      if (!label) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(label, (procs.get(label) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      /* the process exited meanwhile */
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { procs, machineBusy: cpu.reduce((a, b) => a + b, 0) - idle };
}

/** CPU used between two samples, as % of one core per label, plus everything else on the machine. */
function cpuUse(a: CpuSample, b: CpuSample, seconds: number): Record<string, number> {
  const pct = (ticks: number) => Math.round(ticks / seconds);
  const out: Record<string, number> = {};
  let ours = 0;
  for (const [k, v] of b.procs) {
    const d = v - (a.procs.get(k) ?? 0);
    ours += d;
    out[k] = pct(d);
  }
  out['all lab processes above'] = pct(ours);
  out['rest of the machine'] = pct(b.machineBusy - a.machineBusy - ours);
  out['machine capacity'] = cpus().length * 100;
  return out;
}

/** Start a persistent iperf3 server bound to `addr` in `ns` (stopped at scope close). */
async function iperfServer(scope: Scope, ns: NetnsExec, addr: string, port: number, name: string): Promise<void> {
  await startProcess(scope, { name, ns: ns.name, argv: ['iperf3', '-s', '-B', addr, '-p', String(port)] });
  await waitFor(`iperf3 server ${name}`, async () => (await ns.run(['ss', '-Hltn', `( sport = :${port} )`])).stdout.includes(addr), 10_000);
}

/** Run one iperf3 client in `ns` to addr:port; `reverse` = server sends (down). Receiver's rate. */
async function iperf(ns: NetnsExec, addr: string, port: number, reverse: boolean): Promise<Iperf> {
  const argv = ['iperf3', '-c', addr, '-p', String(port), '-t', String(SECONDS), '-J', '--get-server-output', '--connect-timeout', '5000'];
  if (reverse) argv.push('-R');
  const r = await ns.run(argv, { timeoutMs: (SECONDS + 30) * 1000, okCodes: [0, 1] });
  const j = JSON.parse(r.stdout) as any;
  if (j.error) throw new Error(`iperf3 ${ns.name} → ${addr}:${port}${reverse ? ' -R' : ''}: ${j.error}`);
  const server = j.server_output_json as any;
  return {
    mbit_s: mbit(j.end.sum_received.bits_per_second),
    retransmits: j.end.sum_sent.retransmits ?? null,
    // The server's own view of its peer (its text report unless it ran with -J).
    server_saw:
      server?.start?.connected?.[0]?.remote_host?.replace(/^::ffff:/, '') ??
      String(j.server_output_text ?? '').match(/Accepted connection from ([0-9a-f.:]+),/)?.[1]?.replace(/^::ffff:/, '') ??
      null,
  };
}

/** Is client → addr:port TCP reachable within 3 s? (probe for the raw-bridge path on the lab's bridge) */
async function tcpReachable(ns: NetnsExec, addr: string, port: number): Promise<boolean> {
  const r = await ns.run(['iperf3', '-c', addr, '-p', String(port), '-t', '1', '-J', '--connect-timeout', '3000'], { timeoutMs: 20_000, okCodes: [0, 1] });
  try {
    return !(JSON.parse(r.stdout) as any).error;
  } catch {
    return false;
  }
}

/**
 * A plain bridge for the raw baseline: a second private OVS (userspace netdev datapath,
 * like the lab's), two internal ports moved into two namespaces, one NORMAL flow.
 */
async function rawBridge(scope: Scope): Promise<{ a: NetnsExec; b: NetnsExec; bAddr: string }> {
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

const out: Record<string, unknown> = {
  bench: 'lab-chain',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100) },
  prefix,
  iperf3: { seconds: SECONDS, reps: REPS, streams: 1, rate: 'receiver' },
};
let lab: Lab | undefined;
let rawScope: Scope | undefined;
try {
  const t0 = performance.now();
  lab = await labUp({ prefix, log: (l) => log(l) });
  out.lab_up_s = r3((performance.now() - t0) / 1000);
  const proof = await proveChain(lab.world, { dnsServer: '10.13.13.1' });
  out.chain_proven = proof.ok;
  if (!proof.ok) throw new Error(`the chain did not prove itself: ${JSON.stringify(proof)}`);
  log(`lab up in ${out.lab_up_s} s; chain proven`);

  // No-op CLI runs on the converged lab, plus bare start-up (--version) to show Node's share.
  out.cli = await cliTimings(lab, CLI_REPS);
  log(`no-op init median ${(out.cli as any).noop_init_s.median} s`);

  const { world } = lab;
  const web = siteAddr('inet').v4;
  await iperfServer(lab.scope, world.inet, web, 5201, 'iperf-inet');
  await iperfServer(lab.scope, labNs(lab, 'ct100'), '10.13.13.1', 5201, 'iperf-ct100-wg');
  // Raw path on the lab's own bridge, if the pipeline lets it through at all.
  await iperfServer(lab.scope, labNs(lab, 'ct100'), '10.77.0.100', 5202, 'iperf-ct100-br');
  const rawOnLab = await tcpReachable(world.client, '10.77.0.100', 5202);
  let raw: { client: NetnsExec; addr: string; where: string };
  if (rawOnLab) {
    raw = { client: world.client, addr: '10.77.0.100', where: "the lab's bridge: client access port → CT100 internal_100" };
  } else {
    rawScope = new Scope(`${prefix}r`);
    const rb = await rawBridge(rawScope);
    await iperfServer(rawScope, rb.b, rb.bAddr, 5201, 'iperf-raw');
    raw = {
      client: rb.a,
      addr: rb.bAddr,
      where:
        "privroute's flows drop client → 10.77.0.100 TCP (only the WireGuard UDP port is allowed: fail closed), " +
        'so the raw bridge is a witness-made bridge in a second private OVS (userspace netdev datapath, actions=NORMAL), two internal ports in two namespaces',
    };
  }
  log(`raw bridge: ${rawOnLab ? 'lab bridge' : 'separate witness bridge'}`);

  type Path = { ns: NetnsExec; addr: string; port: number };
  const all: Record<string, Path> = {
    chain: { ns: world.client, addr: web, port: 5201 },
    one_wg_hop: { ns: world.client, addr: '10.13.13.1', port: 5201 },
    raw_bridge: { ns: raw.client, addr: raw.addr, port: rawOnLab ? 5202 : 5201 },
  };
  out.raw_bridge = { on_lab_bridge: rawOnLab, where: raw.where };

  // The MTUs privroute set: the gateway's WireGuard MTU and its underlay (CT100's bridge port).
  // An encrypted packet is the inner packet + 60 bytes (IPv4 endpoint) / + 80 (IPv6).
  const ct100 = labNs(lab, 'ct100');
  const mtuOf = async (ns: NetnsExec, dev: string) => Number((await ns.run(['cat', `/sys/class/net/${dev}/mtu`])).stdout.trim());
  const wgMtu = await mtuOf(ct100, labIfnames(prefix).gateway);
  const underlayMtu = await mtuOf(ct100, 'internal_100');
  const mtuOk = underlayMtu >= wgMtu + 60;
  out.mtu = { gateway_wg: wgMtu, ct100_underlay: underlayMtu, underlay_needed_v4_endpoint: wgMtu + 60, underlay_needed_v6_endpoint: wgMtu + 80, ok: mtuOk };

  const ifnames = labIfnames(prefix);
  const passes: Record<string, Record<string, Record<'up' | 'down', Iperf[]>>> = {};
  const pass = async (label: string, names: string[]) => {
    const runs: Record<string, Record<'up' | 'down', Iperf[]>> = (passes[label] = {});
    for (let rep = 0; rep < REPS; rep++) {
      for (const dir of ['up', 'down'] as const) {
        for (const name of names) {
          const { ns, addr, port } = all[name]!;
          const c0 = cpuSample(lab!.dir, ifnames);
          const t0 = performance.now();
          const r = await iperf(ns, addr, port, dir === 'down');
          r.cpu_pct = cpuUse(c0, cpuSample(lab!.dir, ifnames), (performance.now() - t0) / 1000);
          (runs[name] ??= { up: [], down: [] })[dir].push(r);
          log(`${label} ${name} ${dir}: ${r.mbit_s} Mbit/s (server saw ${r.server_saw})`);
        }
      }
    }
  };
  const med = (label: string, name: string, dir: 'up' | 'down') => median(passes[label]![name]![dir].map((r) => r.mbit_s));
  // 0 Mbit/s (a black-holed direction) gives a ratio of 0, not NaN; 0/0 gives null.
  const ratio = (label: string, a: string, b: string, dir: 'up' | 'down', base = label) => {
    const d = med(base, b, dir);
    return d > 0 ? r3(med(label, a, dir) / d) : null;
  };
  await pass('as_configured', Object.keys(all));
  // Time to first byte of small requests: through the chain (client) and direct from the VPS.
  out.ttfb = await ttfb({ chain: lab.world.client, direct_from_vps: lab.world.vps }, lab.world.webUrl, Number(opt['ttfb-requests']));
  log(`ttfb medians: ${JSON.stringify((out.ttfb as any).median_ms)}`);
  if (opt.variants) {
    // One thing changed at a time (engine settings): CT101's v2ray with mux on its VLESS outbound
    // (one TLS connection to the VPS carries many flows). TTFB and the chain's throughput again;
    // privroute's own config is restored by `privroute init` afterwards.
    out.variant_ct101_mux = await withClientVariant(lab, withMux(8), async () => {
      const t = await ttfb({ chain: lab!.world.client, direct_from_vps: lab!.world.vps }, lab!.world.webUrl, Number(opt['ttfb-requests']));
      log(`mux variant ttfb medians: ${JSON.stringify(t.median_ms)}`);
      const note = 'CT101 v2ray with mux {enabled, concurrency 8} on the VLESS outbound (bench-made variant)';
      try {
        await pass('variant_ct101_mux', ['chain']);
      } catch (e) {
        // A stalled direction is a result of the variant (seen once: iperf3 -R through mux timed out), not a bench failure.
        return { note, ttfb: t, error: (e as Error).message.split('\n')[0], runs: passes.variant_ct101_mux };
      }
      return { note, ttfb: t, throughput_mbit_s: { up: med('variant_ct101_mux', 'chain', 'up'), down: med('variant_ct101_mux', 'chain', 'down') } };
    });
    log(`mux variant: ${JSON.stringify(out.variant_ct101_mux)}`);
  }
  // CPU cost per Gbit moved (core-seconds), from the per-process samples: less sensitive to
  // background load than Mbit/s, since a CPU-bound path's rate is what its CPU share allows.
  // `node_side` counts only what runs on a real node (gateway + WARP wireguard-go, CT101's
  // engine, ovs-vswitchd); the client device, WARP edge and VPS are lab stand-ins.
  const NODE_SIDE = ['wireguard-go gateway', 'wireguard-go warp', 'v2ray ct101', 'ovs-vswitchd', 'ovs-vswitchd (raw bridge)'];
  const cost = (label: string, name: string, dir: 'up' | 'down', which: 'lab' | 'node_side') => {
    const xs = passes[label]![name]![dir]
      .filter((r) => r.mbit_s > 0 && r.cpu_pct)
      .map((r) => {
        const pct = which === 'lab' ? r.cpu_pct!['all lab processes above']! : NODE_SIDE.reduce((a, k) => a + (r.cpu_pct![k] ?? 0), 0);
        return pct / 100 / (r.mbit_s / 1000);
      });
    return xs.length ? Math.round(median(xs) * 10) / 10 : null;
  };
  const costs = (label: string, name: string) => ({
    lab: { up: cost(label, name, 'up', 'lab'), down: cost(label, name, 'down', 'lab') },
    node_side: { up: cost(label, name, 'up', 'node_side'), down: cost(label, name, 'down', 'node_side') },
  });
  const summary = (label: string, base = label) => ({
    cpu_core_s_per_gbit: Object.fromEntries(Object.keys(passes[label]!).map((n) => [n, costs(label, n)])),
    throughput_mbit_s: Object.fromEntries(Object.keys(passes[label]!).map((n) => [n, { up: med(label, n, 'up'), down: med(label, n, 'down') }])),
    chain_over_one_wg_hop: { up: ratio(label, 'chain', 'one_wg_hop', 'up'), down: ratio(label, 'chain', 'one_wg_hop', 'down') },
    one_wg_hop_over_raw_bridge: { up: ratio(label, 'one_wg_hop', 'raw_bridge', 'up', base), down: ratio(label, 'one_wg_hop', 'raw_bridge', 'down', base) },
    chain_over_raw_bridge: { up: ratio(label, 'chain', 'raw_bridge', 'up', base), down: ratio(label, 'chain', 'raw_bridge', 'down', base) },
  });
  const met = (s: ReturnType<typeof summary>) => (s.chain_over_one_wg_hop.up ?? 0) >= 0.5 && (s.chain_over_one_wg_hop.down ?? 0) >= 0.5;
  const asConfigured = summary('as_configured');
  out.as_configured = { ...asConfigured, chain_over_one_wg_hop_target: '>= 0.5', met: met(asConfigured) };
  if (!mtuOk) {
    // Diagnostic pass: the gateway's encrypted packets do not fit its underlay, so the kernel
    // fragments them and the pipeline's security stage drops fragments (downloads black-holed).
    // Raise CT100's port to the bridge's 1500 (a witness change, after the CLI timings) and
    // measure the WireGuard paths again against the same raw-bridge numbers.
    await ct100.run(['ip', 'link', 'set', 'dev', 'internal_100', 'mtu', '1500']);
    await pass('underlay_mtu_1500', ['chain', 'one_wg_hop']);
    const fixed = summary('underlay_mtu_1500', 'as_configured');
    out.underlay_mtu_1500 = { note: 'diagnostic: CT100 internal_100 MTU raised to 1500 by the bench (privroute set ' + underlayMtu + ')', ...fixed, met: met(fixed) };
  }
  out.runs = passes;
  out.chain_exit_seen_by_web = passes.as_configured!.chain!.up[0]!.server_saw;
  out.chain_exit_is_vps = out.chain_exit_seen_by_web === siteAddr('vps').v4;
} catch (e) {
  out.error = (e as Error).message.split('\n').slice(0, 3).join(' | ');
  process.exitCode = 1;
} finally {
  if (rawScope) await rawScope.close();
  if (lab) await lab.scope.close().catch(() => undefined);
  await labDown(prefix);
  out.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

/** A NetnsExec for one of the lab's namespaces by role. */
function labNs(l: Lab, role: string): NetnsExec {
  return new NetnsExec(`${l.prefix}-${role}`);
}
