/**
 * Helpers of the MAC rotation lab tests (not a test): where each link lives, the
 * MACs it carries, OVSDB's Interface.mac, the store's salt and journal, a
 * source-MAC witness on warp0, and pings parsed from their summary.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { labNs, type Lab } from '../../../src/lab/lab.js';
import { startProcess, waitFor, type Proc } from '../../../src/lab/harness/index.js';
import { readLinkMac } from '../../../src/net/link-mac.js';
import { readJournal, saltInForce, type MacJournal } from '../../../src/rotation/mac-journal.js';
import { linkHome } from '../../../src/rotation/mac-plan.js';
import { topologyForSalt } from '../../../src/rotation/mac.js';
import { StateStore } from '../../../src/state/store.js';

/** The lab's config as privroute loads it. */
export function labConfigOf(lab: Lab): Config {
  return loadConfig({ file: lab.configFile });
}

/** The store's salt in force and open journal (read through a second connection; WAL allows it). */
export function storeMacState(lab: Lab): { salt: string; journal: MacJournal | null } {
  const s = StateStore.open(lab.stateDir, {});
  try {
    return { salt: saltInForce(s), journal: readJournal(s) };
  } finally {
    s.close();
  }
}

/** The namespace a rotatable port's link lives in, or null for foreign ports. */
export function nsOfPort(lab: Lab, p: { role: string; objectId: number }): NetnsExec | null {
  const h = linkHome(p as Parameters<typeof linkHome>[0]);
  return h.kind === 'container' ? labNs(lab.prefix, `ct${h.id}`) : h.kind === 'node' ? lab.world.node : null;
}

/**
 * Disagreements between the store (salt in force), the links where they live and
 * OVSDB's Interface.mac: empty when they agree.
 */
export async function macDisagreements(lab: Lab, config: Config): Promise<string[]> {
  const { salt, journal } = storeMacState(lab);
  const out: string[] = journal ? [`journal still open: ${JSON.stringify(journal)}`] : [];
  const db = lab.ovs.dbEndpoint;
  for (const p of topologyForSalt(config, salt).ports) {
    const ns = nsOfPort(lab, p);
    if (!ns) continue;
    const link = await readLinkMac(ns, p.name);
    if (link !== p.mac) out.push(`${p.name}: link ${link}, store ${p.mac}`);
    const r = await lab.world.node.run(['ovs-vsctl', `--db=${db}`, 'get', 'Interface', p.name, 'mac']);
    const ovsdb = r.stdout.trim().replace(/"/g, '');
    if (ovsdb !== p.mac) out.push(`${p.name}: OVSDB Interface.mac ${ovsdb}, store ${p.mac}`);
  }
  return out;
}

/** Source MACs of `count` TCP frames from `ip` arriving on `iface` in `ns` while `traffic` runs (tcpdump -e). */
export async function sourceMacsOn(ns: NetnsExec, iface: string, ip: string, traffic: () => Promise<unknown>, count = 3): Promise<string[]> {
  const cap = ns.run(['timeout', '30', 'tcpdump', '-e', '-n', '-l', '-i', iface, '-Q', 'in', '-c', String(count), 'tcp', 'and', 'src', 'host', ip], { okCodes: [0, 124] });
  // tcpdump needs a moment to attach: keep the traffic going until it has its frames.
  let done = false;
  const captured = cap.finally(() => void (done = true));
  while (!done) {
    await traffic();
    await Promise.race([captured, new Promise((r) => setTimeout(r, 200))]);
  }
  const out = (await captured).stdout;
  return [...out.matchAll(/^\S+ ([0-9a-f:]{17}) > [0-9a-f:]{17}/gm)].map((m) => m[1]!);
}

/** A running ping (20 per second) whose loss is read from its summary. */
export interface PingRun {
  stop(): Promise<{ sent: number; received: number; lossPct: number }>;
}

/** Start `ping -i 0.05 to` inside `ns`. */
export async function startPing(lab: Lab, ns: string, to: string): Promise<PingRun> {
  const proc: Proc = await startProcess(lab.scope, { name: `ping-${ns}-${to}`, ns, argv: ['ping', '-i', '0.05', '-W', '1', to] });
  await waitFor(`ping ${to} from ${ns}`, () => /bytes from/.test(proc.log()), 10_000);
  return {
    async stop() {
      process.kill(proc.pid, 'SIGINT');
      await waitFor('ping summary', () => /packets transmitted/.test(proc.log()), 10_000);
      const m = /(\d+) packets transmitted, (\d+) received/.exec(proc.log())!;
      await proc.stop();
      const sent = Number(m[1]);
      const received = Number(m[2]);
      return { sent, received, lossPct: sent ? (100 * (sent - received)) / sent : 0 };
    },
  };
}

/** The lab's persisted description (config and state paths). */
export function labFiles(lab: Lab): { configFile: string; stateDir: string } {
  return JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')) as { configFile: string; stateDir: string };
}
