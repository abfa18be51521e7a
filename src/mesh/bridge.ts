/**
 * How mesh traffic crosses from netclient's layer-3 WireGuard interface
 * (`netmaker`) onto the chain bridge — as desired state for src/net. Pure.
 *
 *   mesh peer ──WireGuard──► netmaker (node, L3) ──DNAT by function port──► node routing
 *        ──► nm-privacy (OVS internal port, node side, .1 of mesh_network)
 *        ──► OpenFlow stage 40: tcp_dst=8080 → internal_200 only, 9000 → internal_201 only
 *
 * Why routing through an internal port (and not netclient's interface on the
 * bridge): netclient's interface is a layer-3 TUN device that netclient owns and
 * re-creates on every restart; OVS could not keep it as a port, and a TUN carries
 * no Ethernet frames for the OpenFlow pipeline's MAC-based anti-spoof and
 * isolation. So the node routes between the two, and both sides filter:
 *   - netfilter (owner `mesh`, chain PRIVROUTE-MESH): only the declared function
 *     ports are DNATed from the mesh interface to their target socket's address
 *     and forwarded to nm-privacy; replies go back as ESTABLISHED; everything
 *     else from or to the mesh interface or nm-privacy is dropped (so no privacy
 *     hop routed through the node can reach the mesh, nor the mesh the chain),
 *     and the node's own services are not reachable from the mesh (other ports
 *     time out);
 *   - OpenFlow: nm-privacy is a mesh-class port; stage 40 sends each function
 *     port only to its target, drops frames to chain MACs (isolation), and the
 *     output stage lets mesh ports talk only to mesh ports.
 * Mesh containers route back through nm-privacy (default via its address).
 *
 * All of it is emitted as data ({@link meshNodeNet}, {@link meshContainerNet});
 * the one net reconciler (src/net) observes, plans and applies it.
 */
import type { Config } from '../config/types.js';
import type { Topology } from '../topology/addressing.js';
import type { NfRule } from '../net/netfilter.js';
import type { NetDesired } from '../net/reconcile.js';

/** The netfilter owner name of the mesh (its rules' comments: `privroute/mesh:<id>`). */
export const MESH_OWNER = 'mesh';
/** The filter chain holding every forwarding decision about the mesh interface and nm-privacy. */
export const MESH_CHAIN = 'PRIVROUTE-MESH';

/** One declared function with its resolved target. */
export interface FunctionTarget {
  function: string;
  proto: 'tcp' | 'udp';
  port: number;
  socket: string;
  /** The target socket's address on the mesh network. */
  ip: string;
  /** Container id of the target socket. */
  containerId: number;
}

/** The declared functions (config order), resolved against the address plan. Pure; unknown sockets are skipped (config check reports them). */
export function functionTargets(config: Config, topo: Topology): FunctionTarget[] {
  const out: FunctionTarget[] = [];
  for (const d of config.plugins.privacy_router.openflow.function_routing) {
    const p = topo.ports.find((x) => x.name === d.target_socket && x.role === 'mesh');
    if (!p) continue;
    for (const [k, v] of Object.entries(d.match_fields ?? {})) {
      if (k !== 'tcp_dst' && k !== 'udp_dst') continue;
      out.push({ function: d.function, proto: k === 'tcp_dst' ? 'tcp' : 'udp', port: Number(v), socket: p.name, ip: p.ip, containerId: p.objectId });
    }
  }
  return out;
}

/** The node's side of the mesh (pure): what the net reconciler keeps on the node. */
export interface MeshNodeSpec {
  /** netclient's WireGuard interface. */
  meshIface: string;
  /** The OVS internal port on the chain bridge (nm-privacy). */
  bridgePort: string;
  /** nm-privacy's address on the mesh network (`10.78.0.1/24`). */
  uplinkCidr: string;
  functions: readonly FunctionTarget[];
}

/**
 * The node's networking for the mesh (IPv4, pure):
 *
 *   nat PREROUTING  -i <mesh> -p P --dport N -j DNAT --to <target>    (per function)
 *   FORWARD         -i/-o <mesh>, -i/-o nm-privacy -> PRIVROUTE-MESH  (at the top)
 *   PRIVROUTE-MESH: mesh -> nm-privacy to <target>:N NEW/ESTABLISHED ACCEPT (per function);
 *                   nm-privacy -> mesh ESTABLISHED,RELATED ACCEPT; DROP
 *   INPUT           -i <mesh> NEW tcp/udp DROP (replies to the node's own mesh connections still arrive)
 *   nm-privacy: its address, up; ip_forward on (last)
 */
export function meshNodeNet(s: MeshNodeSpec): NetDesired {
  const rule = (table: NfRule['table'], chain: string, spec: string[]): NfRule => ({ family: 4, table, chain, spec });
  const rules: NfRule[] = [];
  for (const f of s.functions) {
    rules.push(rule('nat', 'PREROUTING', ['-i', s.meshIface, '-p', f.proto, '-m', f.proto, '--dport', String(f.port), '-j', 'DNAT', '--to-destination', f.ip]));
    rules.push(rule('filter', MESH_CHAIN, ['-d', `${f.ip}/32`, '-i', s.meshIface, '-o', s.bridgePort, '-p', f.proto, '-m', f.proto, '--dport', String(f.port), '-m', 'conntrack', '--ctstate', 'NEW,ESTABLISHED', '-j', 'ACCEPT']));
  }
  rules.push(rule('filter', MESH_CHAIN, ['-i', s.bridgePort, '-o', s.meshIface, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']));
  // Everything else that crosses either side is dropped: no privacy hop routed through the node reaches the mesh, nor the mesh the chain.
  rules.push(rule('filter', MESH_CHAIN, ['-j', 'DROP']));
  for (const dir of ['-i', '-o']) for (const dev of [s.meshIface, s.bridgePort]) rules.push(rule('filter', 'FORWARD', [dir, dev, '-j', MESH_CHAIN]));
  // The node's own services are not offered to the mesh: other ports time out instead of being refused.
  for (const proto of ['tcp', 'udp']) rules.push(rule('filter', 'INPUT', ['-i', s.meshIface, '-p', proto, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP']));
  return {
    owner: MESH_OWNER,
    chains: [{ family: 4, table: 'filter', chain: MESH_CHAIN }],
    rules,
    links: [{ name: s.bridgePort, addrs: [s.uplinkCidr], up: true }],
    // The node routes between the mesh interface and nm-privacy.
    sysctls: [{ key: 'net.ipv4.ip_forward', value: '1' }],
  };
}

/** A mesh container's networking (pure): replies to mesh peers leave through nm-privacy. */
export function meshContainerNet(uplinkIp: string, socket: string): NetDesired {
  return { owner: MESH_OWNER, routes: [{ family: 4, table: 'main', dst: 'default', via: uplinkIp, dev: socket }] };
}
