/**
 * Read-only observation of a VPS: OS, architecture, listeners. Parsers are pure
 * and exported for tests.
 */
import type { HostExec } from '../../host/exec.js';
import { pollUntil } from '../../core/poll.js';

/** The facts provisioning depends on. */
export interface HostFacts {
  /** os-release ID (debian, ubuntu, ...). */
  osId: string;
  osVersion: string;
  /** `uname -m` (x86_64, aarch64, ...). */
  arch: string;
}

/** Parse /etc/os-release (KEY=value, optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** Detect OS and architecture. */
export async function observeFacts(exec: HostExec): Promise<HostFacts> {
  const os = parseOsRelease((await exec.readFile('/etc/os-release')).toString('utf8'));
  const arch = (await exec.run(['uname', '-m'])).stdout.trim();
  return { osId: os.ID ?? 'unknown', osVersion: os.VERSION_ID ?? '', arch };
}

/** One TCP listener from `ss -ltnpH`. */
export interface Listener {
  address: string;
  port: number;
  /** Processes holding the socket: name and pid. */
  processes: { name: string; pid: number }[];
}

/** Parse `ss -ltnpH` (or `ss -ltnp`, header skipped). */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[0] !== 'LISTEN') continue;
    const local = cols[3]!;
    const idx = local.lastIndexOf(':');
    const port = Number(local.slice(idx + 1));
    if (!Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+),fd=\d+\)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
    out.push({ address: local.slice(0, idx).replace(/^\[|\]$/g, '').replace(/%.*$/, ''), port, processes });
  }
  return out;
}

/** The TCP listeners on `port`. */
export async function listenersOn(exec: HostExec, port: number): Promise<Listener[]> {
  const r = await exec.run(['ss', '-ltnpH']);
  return parseSsListeners(r.stdout).filter((l) => l.port === port);
}

/**
 * Poll until `status()` reports the service active and its main pid holds a TCP
 * listener on `port` (another process on the port does not count). Read-only.
 * Polls every `intervalMs` (through `sleep`, injectable for tests); once
 * `timeoutMs` has passed, throws what `onTimeout` builds from the last status and
 * the last listeners on the port (for a message naming who holds it).
 */
export async function waitListening(
  exec: HostExec,
  port: number,
  status: () => Promise<{ active: boolean; pid: number | null }>,
  o: { timeoutMs: number; intervalMs: number; sleep?: (ms: number) => Promise<void>; onTimeout: (st: { active: boolean; pid: number | null }, ls: Listener[]) => Error },
): Promise<void> {
  let st: { active: boolean; pid: number | null } = { active: false, pid: null };
  let ls: Listener[] = [];
  await pollUntil(
    async () => {
      st = await status();
      ls = await listenersOn(exec, port);
      return st.active && ls.some((l) => l.processes.some((p) => p.pid === st.pid));
    },
    {
      timeoutMs: o.timeoutMs,
      intervalMs: o.intervalMs,
      sleep: o.sleep,
      failFast: true, // a failing probe (ssh down) is reported as itself, not as a timeout
      onTimeout: () => o.onTimeout(st, ls),
    },
  );
}
