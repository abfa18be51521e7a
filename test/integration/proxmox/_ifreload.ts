/**
 * STAND-IN for ifupdown2's `ifreload -a` on an OVS bridge it declares (ifupdown2 cannot run
 * here: it would reconfigure this machine's own interfaces). It models the documented
 * behaviour privroute must survive (shared/reference/proxmox.md, "OVS on the node"): for the
 * `iface <bridge>` stanza with `ovs_type OVSBridge`, ports not listed in `ovs_ports` and not
 * matched by `ovs-ports-condone-regex` are deleted, and `external_ids` of the bridge and its
 * ports/interfaces are cleared. Not modelled: `ovs_options`/`ovs_extra` re-application, the
 * bridge's addresses, other ifupdown2 addons. Acts through ovs-vsctl on a private OVS only.
 */
import type { OvsInstance } from '../../../src/lab/harness/index.js';

/** The parts of the bridge's stanza the model reads. */
export function parseBridgeStanza(text: string, bridge: string): { ports: string[]; condone: RegExp | null } | null {
  const m = new RegExp(`^iface ${bridge}\\b.*\\n((?:[ \\t]+.*\\n?)*)`, 'm').exec(text);
  if (!m || !/^\s+ovs_type OVSBridge\s*$/m.test(m[1]!)) return null;
  const ports = /^\s+ovs_ports (.+)$/m.exec(m[1]!)?.[1]!.trim().split(/\s+/) ?? [];
  const re = /^\s+ovs-ports-condone-regex (.+)$/m.exec(m[1]!)?.[1]!.trim();
  return { ports, condone: re ? new RegExp(re) : null };
}

/** Apply the model to `bridge` on `ovs`, given the interfaces text; returns the ports it deleted. */
export async function modelIfreload(ovs: OvsInstance, interfacesText: string, bridge: string): Promise<string[]> {
  const st = parseBridgeStanza(interfacesText, bridge);
  if (!st) return []; // a bridge ifupdown2 does not declare is not touched
  const ports = (await ovs.vsctl(['list-ports', bridge])).split('\n').filter(Boolean);
  const gone = ports.filter((p) => !st.ports.includes(p) && !st.condone?.test(p));
  for (const p of gone) await ovs.vsctl(['--if-exists', 'del-port', bridge, p]);
  await ovs.vsctl(['clear', 'Bridge', bridge, 'external_ids']);
  for (const p of ports.filter((x) => !gone.includes(x))) {
    await ovs.vsctl(['clear', 'Port', p, 'external_ids']);
    await ovs.vsctl(['clear', 'Interface', p, 'external_ids']);
  }
  return gone;
}
