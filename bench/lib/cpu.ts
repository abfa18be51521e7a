/**
 * Bench CPU accounting from /proc: ticks (user+system, 1/100 s) per labelled
 * process and the machine's busy ticks, sampled around each run. Read-only.
 * Core-seconds per Gbit moved is the bench's load-robust cost metric: a
 * CPU-bound path's rate is whatever CPU share it gets, its cost per byte is not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';

/** Label a process by its argv (null: not one of the bench's). */
export type Labeller = (argv: string[]) => string | null;

/** CPU ticks per labelled process, and the machine's busy ticks. */
export interface CpuSample {
  procs: Map<string, number>;
  machineBusy: number;
}

/** Sum of the labelled processes' label for everything above (key of {@link cpuUse}'s result). */
export const ALL_LABELLED = 'all lab processes above';

/**
 * A labeller for one chain's processes: wireguard-go by its interface name (last argv),
 * v2ray/xray by a config path under `dir` (`engines`: path fragment → label), ovs-vswitchd
 * whose argv points under `dir`. `tag` prefixes every label ('' for none).
 */
export function chainLabeller(o: { tag: string; dir: string; ifnames: Record<string, string>; engines: [string, string][] }): Labeller {
  const t = o.tag ? `${o.tag} ` : '';
  return (argv) => {
    const exe = path.basename(argv[0] ?? '');
    if (exe === 'wireguard-go') {
      const role = Object.entries(o.ifnames).find(([, n]) => n === argv.at(-1))?.[0];
      return role ? `${t}wireguard-go ${role}` : null;
    }
    if (/^(v2ray|xray)$/.test(exe)) {
      const cfg = argv.find((a) => a.startsWith(o.dir + '/')) ?? '';
      const hit = o.engines.find(([frag]) => cfg.includes(frag));
      return hit ? `${t}${hit[1]}` : null;
    }
    // ovs-vswitchd's paths come as `unix:<dir>/...` and `--pidfile=<dir>/...`.
    if (exe === 'ovs-vswitchd' && argv.some((a) => a.includes(o.dir + '/'))) return `${t}ovs-vswitchd`;
    return null;
  };
}

/** Sample the labelled processes (first labeller that names a process wins). */
export function cpuSample(labellers: Labeller[]): CpuSample {
  const procs = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      let label: string | null = null;
      for (const l of labellers) if ((label = l(argv))) break;
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
export function cpuUse(a: CpuSample, b: CpuSample, seconds: number): Record<string, number> {
  const pct = (ticks: number) => Math.round(ticks / seconds);
  const out: Record<string, number> = {};
  let ours = 0;
  for (const [k, v] of b.procs) {
    const d = v - (a.procs.get(k) ?? 0);
    ours += d;
    if (d > 0) out[k] = pct(d);
  }
  out[ALL_LABELLED] = pct(ours);
  out['rest of the machine'] = pct(b.machineBusy - a.machineBusy - ours);
  out['machine capacity'] = cpus().length * 100;
  return out;
}

/** Core-seconds per Gbit for each label with CPU in a run (null when nothing moved). */
export function perGbit(cpuPct: Record<string, number>, mbitS: number): Record<string, number> | null {
  if (!(mbitS > 0)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpuPct)) {
    if (k === 'rest of the machine' || k === 'machine capacity') continue;
    out[k] = Math.round((v / 100 / (mbitS / 1000)) * 10) / 10;
  }
  return out;
}
