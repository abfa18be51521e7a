/**
 * Opening the inbound port when privroute manages the VPS firewall
 * (`vps.firewall`): ufw gets one `allow <port>/tcp`; iptables gets a
 * privroute-owned chain holding exactly one ACCEPT for the port, jumped to from
 * INPUT, emitted as data ({@link vpsInboundNet}) for the net reconciler
 * (src/net): a changed port is added before the old one is removed, and the
 * previous release's uncommented chain content and jump are replaced the same
 * way. Nothing else is opened, and no policy is changed (an SSH lock-out is not
 * ours to cause). observe (read-only) → plan (pure) → apply.
 */
import type { HostExec } from '../../host/exec.js';
import { applyNet, observeNet, planNet, type NetChange, type NetDesired, type NetObserved } from '../../net/reconcile.js';

export const FW_CHAIN = 'PRIVROUTE-XRAY';

type FwKind = 'none' | 'ufw' | 'iptables';

/** One firewall change: what and the argv. */
export type FwChange = NetChange;

/** What the firewall looks like now. */
export interface FwObserved {
  ufwStatus?: string;
  /** The reconciler's view of the iptables state (iptables kind only). */
  net?: NetObserved;
}

/** The inbound opening as desired networking state of the VPS (pure). */
export function vpsInboundNet(port: number): NetDesired {
  return {
    owner: 'vps',
    chains: [{ family: 4, table: 'filter', chain: FW_CHAIN }],
    rules: [
      { family: 4, table: 'filter', chain: FW_CHAIN, spec: ['-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', 'ACCEPT'] },
      { family: 4, table: 'filter', chain: 'INPUT', spec: ['-j', FW_CHAIN] },
    ],
  };
}

/** Read the firewall state relevant to `kind`. Read-only. */
export async function observeFirewall(exec: HostExec, kind: FwKind, port: number): Promise<FwObserved> {
  if (kind === 'none') return {};
  if (kind === 'ufw') return { ufwStatus: (await exec.run(['ufw', 'status'])).stdout };
  return { net: await observeNet(exec, vpsInboundNet(port)) };
}

/** The changes that open exactly `port`. Pure. */
export function planFirewall(kind: FwKind, port: number, o: FwObserved): FwChange[] {
  if (kind === 'none') return [];
  if (kind === 'ufw') {
    return new RegExp(`^${port}/tcp\\s+ALLOW`, 'm').test(o.ufwStatus ?? '') ? [] : [{ describe: `ufw allow ${port}/tcp`, argv: ['ufw', 'allow', `${port}/tcp`] }];
  }
  return planNet(vpsInboundNet(port), o.net!);
}

/** Ensure the port is open; returns a description of what changed, or null if nothing did. */
export async function ensureFirewall(exec: HostExec, kind: FwKind, port: number): Promise<string | null> {
  const changes = planFirewall(kind, port, await observeFirewall(exec, kind, port));
  await applyNet(exec, changes);
  return changes.length ? changes.map((c) => c.describe).join(', ') : null;
}
