/**
 * Bench iperf3 helpers: a persistent server in a namespace, one client run with
 * the server's own view of its peer, and a reachability probe. argv only.
 */
import type { NetnsExec } from '../../src/host/netns.js';
import { startProcess, waitFor, type Scope } from '../../src/lab/harness/index.js';

/** One iperf3 run's result. */
export interface Iperf {
  mbit_s: number;
  retransmits: number | null;
  server_saw: string | null;
  /** CPU during the run, % of one core per labelled process (see cpu.ts). */
  cpu_pct?: Record<string, number>;
  /** Core-seconds per Gbit moved, per labelled process. */
  core_s_per_gbit?: Record<string, number> | null;
  /** rx+tx packets per MB of goodput, per counted interface (see packets.ts). */
  packets_per_mb?: Record<string, number> | null;
}

const mbit = (bps: number) => Math.round(bps / 1e4) / 100;

/** Start a persistent iperf3 server bound to `addr` in `ns` (stopped at scope close). */
export async function iperfServer(scope: Scope, ns: NetnsExec, addr: string, port: number, name: string): Promise<void> {
  await startProcess(scope, { name, ns: ns.name, argv: ['iperf3', '-s', '-B', addr, '-p', String(port)] });
  await waitFor(`iperf3 server ${name}`, async () => (await ns.run(['ss', '-Hltn', `( sport = :${port} )`])).stdout.includes(addr), 10_000);
}

/** Run one iperf3 client in `ns` to addr:port for `seconds`; `reverse` = server sends (down). Receiver's rate. */
export async function iperf(ns: NetnsExec, addr: string, port: number, reverse: boolean, seconds: number): Promise<Iperf> {
  const argv = ['iperf3', '-c', addr, '-p', String(port), '-t', String(seconds), '-J', '--get-server-output', '--connect-timeout', '5000'];
  if (reverse) argv.push('-R');
  const r = await ns.run(argv, { timeoutMs: (seconds + 30) * 1000, okCodes: [0, 1] });
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

/** Is `ns` → addr:port TCP reachable within 3 s? */
export async function tcpReachable(ns: NetnsExec, addr: string, port: number): Promise<boolean> {
  const r = await ns.run(['iperf3', '-c', addr, '-p', String(port), '-t', '1', '-J', '--connect-timeout', '3000'], { timeoutMs: 20_000, okCodes: [0, 1] });
  try {
    return !(JSON.parse(r.stdout) as any).error;
  } catch {
    return false;
  }
}
