/**
 * Opening the inbound port when privroute manages the VPS firewall
 * (`vps.firewall`): ufw gets one `allow <port>/tcp`; iptables gets a
 * privroute-owned chain holding exactly one ACCEPT for the port, jumped to from
 * INPUT. Nothing else is opened, and no policy is changed (an SSH lock-out is
 * not ours to cause). observe (read-only) → plan (pure) → apply.
 */
import type { HostExec } from '../../host/exec.js';

export const FW_CHAIN = 'PRIVROUTE-XRAY';

type FwKind = 'none' | 'ufw' | 'iptables';

/** One firewall change: what and the argv. */
export interface FwChange {
  what: string;
  argv: string[];
}

/** What the firewall looks like now. */
export interface FwObserved {
  ufwStatus?: string;
  /** `-A PRIVROUTE-XRAY ...` lines, or null when the chain is missing. */
  chainRules?: string[] | null;
  jumpPresent?: boolean;
}

/** Read the firewall state relevant to `kind`. */
export async function observeFirewall(exec: HostExec, kind: FwKind): Promise<FwObserved> {
  if (kind === 'none') return {};
  if (kind === 'ufw') return { ufwStatus: (await exec.run(['ufw', 'status'])).stdout };
  const chain = await exec.run(['iptables', '-w', '-S', FW_CHAIN], { okCodes: [0, 1] });
  const jump = await exec.run(['iptables', '-w', '-C', 'INPUT', '-j', FW_CHAIN], { okCodes: [0, 1, 2] });
  return {
    chainRules: chain.code === 0 ? chain.stdout.split('\n').filter((l) => l.startsWith(`-A ${FW_CHAIN} `)) : null,
    jumpPresent: jump.code === 0,
  };
}

/** The changes that open exactly `port`. Pure. */
export function planFirewall(kind: FwKind, port: number, o: FwObserved): FwChange[] {
  if (kind === 'none') return [];
  if (kind === 'ufw') {
    return new RegExp(`^${port}/tcp\\s+ALLOW`, 'm').test(o.ufwStatus ?? '') ? [] : [{ what: `ufw allow ${port}/tcp`, argv: ['ufw', 'allow', `${port}/tcp`] }];
  }
  const out: FwChange[] = [];
  const want = `-A ${FW_CHAIN} -p tcp -m tcp --dport ${port} -j ACCEPT`;
  const rules = o.chainRules ?? [];
  if (o.chainRules === null || o.chainRules === undefined) out.push({ what: `created chain ${FW_CHAIN}`, argv: ['iptables', '-w', '-N', FW_CHAIN] });
  // Remove what we no longer want (an old port) before adding what is missing.
  for (const r of rules.filter((r) => r !== want)) out.push({ what: `removed ${r}`, argv: ['iptables', '-w', '-D', FW_CHAIN, ...r.split(' ').slice(2)] });
  if (!rules.includes(want)) out.push({ what: `accept tcp/${port}`, argv: ['iptables', '-w', '-A', FW_CHAIN, '-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', 'ACCEPT'] });
  if (!o.jumpPresent) out.push({ what: `INPUT -> ${FW_CHAIN}`, argv: ['iptables', '-w', '-I', 'INPUT', '1', '-j', FW_CHAIN] });
  return out;
}

/** Ensure the port is open; returns a description of what changed, or null if nothing did. */
export async function ensureFirewall(exec: HostExec, kind: FwKind, port: number): Promise<string | null> {
  const changes = planFirewall(kind, port, await observeFirewall(exec, kind));
  for (const c of changes) await exec.run(c.argv);
  return changes.length ? changes.map((c) => c.what).join(', ') : null;
}
