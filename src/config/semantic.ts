/**
 * Cross-key checks: references between sockets, containers, flows and function
 * routes; duplicates; overlapping subnets; clashing names and ports. Runs on the
 * config after defaults are applied, even when per-key checks failed (so every
 * problem is reported at once), and therefore guards every value it reads.
 * Pure: (config object) → problems.
 */
import type { InputProblem } from '../core/errors.js';
import type { RouterConfig } from './types.js';
import { ROOT } from './defaults.js';
import { checkCidr4, checkCidr6, cidrsOverlap, parseHostPort } from './formats.js';
import { checkMatchField, functionRouteKey, parseSeedAction } from './flowsyntax.js';

/** Per array, which elements passed their element checks (semantic checks only read those). */
export interface WellFormed {
  privacy_sockets: readonly boolean[];
  mesh_sockets: readonly boolean[];
  privacy_flows: readonly boolean[];
  function_routing: readonly boolean[];
  containers: readonly boolean[];
}

/** The well-formed elements of `arr` with their original indexes. */
function good<T>(arr: readonly T[], ok: readonly boolean[]): [T, number][] {
  return Array.isArray(arr) ? arr.map((x, i) => [x, i] as [T, number]).filter(([, i]) => ok[i] === true) : [];
}

const P = (k: string) => `${ROOT}.${k}`;

/** Run every cross-key check on `r` (plugins.privacy_router with defaults applied). */
export function semanticProblems(r: RouterConfig, ok: WellFormed): InputProblem[] {
  const out: InputProblem[] = [];
  const sockets = [
    ...good(r.socket_networking.privacy_sockets, ok.privacy_sockets).map(([s, i]) => ({ s, at: `socket_networking.privacy_sockets[${i}]`, want: 'privacy' })),
    ...good(r.socket_networking.mesh_sockets, ok.mesh_sockets).map(([s, i]) => ({ s, at: `socket_networking.mesh_sockets[${i}]`, want: 'mesh' })),
  ];
  const socketNames = new Set<string>();
  for (const { s, at, want } of sockets) {
    if (socketNames.has(s.name)) out.push({ path: P(`${at}.name`), value: s.name, expected: 'expected a socket name not used by another socket' });
    socketNames.add(s.name);
    if (s.port_type !== want) out.push({ path: P(`${at}.port_type`), value: s.port_type, expected: `expected "${want}" (the list it is declared in)` });
  }
  const meshSockets = new Set(good(r.socket_networking.mesh_sockets, ok.mesh_sockets).map(([s]) => s.name));

  // CT100's socket carries the gateway's encrypted WireGuard packets to the clients:
  // each is the inner packet + 80 bytes (IPv6 endpoint; 60 for IPv4). A smaller
  // socket MTU fragments them, and the pipeline drops fragments: downloads black-hole.
  if (r.wireguard.enabled && Number.isInteger(r.chain_network.mtu) && Number.isInteger(r.wireguard.mtu) && r.chain_network.mtu < r.wireguard.mtu + 80) {
    out.push({
      path: P('chain_network.mtu'),
      value: r.chain_network.mtu,
      expected: `expected at least wireguard.mtu + 80 = ${r.wireguard.mtu + 80} (the gateway's encrypted packets cross this network), or lower wireguard.mtu to ${r.chain_network.mtu - 80}`,
    });
  }

  // endpoint "auto" is the uplink's address: there must be an uplink to read it from.
  if (r.wireguard.endpoint === 'auto' && !r.wireguard.uplink) {
    out.push({ path: P('wireguard.uplink'), value: r.wireguard.uplink, expected: 'expected the uplink interface (e.g. "vmbr0") when wireguard.endpoint is "auto", or set the endpoint as host:port' });
  }
  // The uplink is the node's own interface, never a port privroute puts on the bridge.
  if (r.wireguard.uplink && [r.wireguard.access_port, r.wireguard.socket_port, r.warp.interface, r.warp.tunnel_interface].includes(r.wireguard.uplink)) {
    out.push({ path: P('wireguard.uplink'), value: r.wireguard.uplink, expected: "expected the node's uplink interface (e.g. vmbr0), not one of privroute's own ports" });
  }

  // An operator-supplied engine is only pushed into a container with its digest pinned.
  if ((r.runtime.xray_binary === null) !== (r.runtime.xray_sha256 === null)) {
    const missing = r.runtime.xray_binary === null ? 'xray_binary' : 'xray_sha256';
    out.push({ path: P(`runtime.${missing}`), value: null, expected: 'expected runtime.xray_binary and runtime.xray_sha256 together (the binary is pushed into the XRay container only with its pinned SHA-256)' });
  }

  // Node-side names must not collide: they all live on the same host / bridge.
  const nodeNames: [string, unknown][] = [
    ['bridge_name', r.bridge_name], ['warp.interface', r.warp.interface], ['warp.tunnel_interface', r.warp.tunnel_interface],
    ['netmaker.interface', r.netmaker.interface],
  ];
  const seen = new Map<unknown, string>();
  for (const [k, v] of nodeNames) {
    const other = seen.get(v) ?? (socketNames.has(v as string) ? 'a socket' : undefined);
    if (other) out.push({ path: P(k), value: v, expected: `expected a name distinct from ${other}` });
    seen.set(v, k);
  }

  {
    const ids = new Map<number, number>();
    const names = new Map<string, number>();
    for (const [c, i] of good(r.containers, ok.containers)) {
      if (ids.has(c.id)) out.push({ path: P(`containers[${i}].id`), value: c.id, expected: `expected a unique container id (containers[${ids.get(c.id)}] has it too)` });
      else ids.set(c.id, i);
      if (names.has(c.name)) out.push({ path: P(`containers[${i}].name`), value: c.name, expected: `expected a unique container name (containers[${names.get(c.name)}] has it too)` });
      else names.set(c.name, i);
      if (!socketNames.has(c.socket_port)) {
        out.push({ path: P(`containers[${i}].socket_port`), value: c.socket_port, expected: `expected a socket declared in socket_networking: ${[...socketNames].join(', ') || '(none declared)'}` });
      }
      for (const [k, ct] of [['wireguard', r.wireguard.container_id], ['xray', r.xray.container_id]] as const) {
        if (c.id === ct) out.push({ path: P(`containers[${i}].id`), value: c.id, expected: `expected an id other than ${k}.container_id (${ct})` });
      }
      meshSockets.add(c.socket_port);
    }
  }

  if (r.wireguard.container_id === r.xray.container_id) {
    out.push({ path: P('xray.container_id'), value: r.xray.container_id, expected: 'expected a container id different from wireguard.container_id' });
  }
  if (r.socket_networking.enabled && ok.privacy_sockets.every(Boolean)) {
    for (const k of ['wireguard', 'xray'] as const) {
      const c = r[k];
      if (!c.enabled) continue;
      const s = good(r.socket_networking.privacy_sockets, ok.privacy_sockets).map(([x]) => x).find((x) => x.name === c.socket_port);
      if (!s) out.push({ path: P(`${k}.socket_port`), value: c.socket_port, expected: 'expected a socket declared in socket_networking.privacy_sockets' });
      else if (s.container_id !== c.container_id) out.push({ path: P(`${k}.container_id`), value: c.container_id, expected: `expected ${s.container_id}, the container_id of socket ${s.name}` });
    }
  }

  const knownPorts = new Set([...socketNames, r.warp.interface, r.netmaker.interface].filter((x) => typeof x === 'string'));
  {
    for (const [f, i] of good(r.openflow.privacy_flows, ok.privacy_flows)) {
      const at = `openflow.privacy_flows[${i}]`;
      for (const [name, value] of Object.entries(f.match_fields)) {
        const problem = checkMatchField(name, value, knownPorts);
        if (problem) out.push({ path: P(`${at}.match_fields.${name}`), value, expected: problem });
      }
      f.actions.forEach((a, j) => {
        const parsed = parseSeedAction(a, knownPorts);
        if ('problem' in parsed) out.push({ path: P(`${at}.actions[${j}]`), value: a, expected: parsed.problem });
      });
    }
  }

  {
    const byKey = new Map<string, number>();
    for (const [f, i] of good(r.openflow.function_routing, ok.function_routing)) {
      const at = `openflow.function_routing[${i}]`;
      if (!meshSockets.has(f.target_socket)) {
        out.push({ path: P(`${at}.target_socket`), value: f.target_socket, expected: `expected a socket declared in socket_networking.mesh_sockets or containers: ${[...meshSockets].join(', ') || '(none declared)'}` });
      }
      const key = functionRouteKey(f.match_fields);
      if ('problem' in key) {
        out.push({ path: P(`${at}.match_fields`), value: f.match_fields, expected: key.problem });
        continue;
      }
      const k = `${key.proto}/${key.port}`;
      if (byKey.has(k)) out.push({ path: P(`${at}.match_fields`), value: f.match_fields, expected: `expected a port not already routed (function_routing[${byKey.get(k)}] routes ${k})` });
      else byKey.set(k, i);
    }
  }

  // Subnets: valid ones must not overlap (each is routed to a different place).
  const v4: [string, unknown][] = [['chain_network.subnet', r.chain_network.subnet], ['mesh_network.subnet', r.mesh_network.subnet], ['wireguard.subnet', r.wireguard.subnet]];
  const v6: [string, unknown][] = [['chain_network.subnet6', r.chain_network.subnet6], ['wireguard.subnet6', r.wireguard.subnet6]];
  for (const [list, check] of [[v4, checkCidr4], [v6, checkCidr6]] as const) {
    const valid = list.filter(([, v]) => v !== null && check(v) === null) as [string, string][];
    for (let i = 0; i < valid.length; i++) {
      for (let j = 0; j < i; j++) {
        if (cidrsOverlap(valid[i]![1], valid[j]![1])) {
          out.push({ path: P(valid[i]![0]), value: valid[i]![1], expected: `expected a subnet that does not overlap ${valid[j]![0]} (${valid[j]![1]})` });
        }
      }
    }
  }

  // Ports inside the XRay container must be distinct.
  const xp: [string, unknown][] = [['xray.socks_port', r.xray.socks_port], ['xray.transparent_port', r.xray.transparent_port], ['xray.dns_port', r.xray.dns_port]];
  xp.forEach(([k, v], i) => {
    const clash = xp.slice(0, i).find(([, w]) => w === v);
    if (clash) out.push({ path: P(k), value: v, expected: `expected a port different from ${clash[0]}` });
  });

  // The node's WARP socket and the ingress share the node's addresses: the ingress
  // forwards wireguard.listen_port to CT100, so the edge's replies to the same port would go there too.
  if (r.warp.listen_port === r.wireguard.listen_port) {
    out.push({ path: P('warp.listen_port'), value: r.warp.listen_port, expected: `expected a port different from wireguard.listen_port (${r.wireguard.listen_port}), which the ingress forwards to the gateway` });
  }

  // The chain must fail closed: "standalone" makes OVS fall back to MAC learning
  // whenever no controller is connected, a path around every hop (issue 11).
  if (r.ovs?.fail_mode === 'standalone') { // other values are already refused by the schema
    out.push({ path: P('ovs.fail_mode'), value: r.ovs.fail_mode, expected: 'expected "secure" (the chain bridge must drop what no flow allows): remove the key or set it to "secure"' });
  }

  // The status endpoint may go without a token only on loopback.
  const listen = parseHostPort(r.daemon.listen);
  if (listen && r.daemon.token_file === null && !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(listen.host)) {
    out.push({ path: P('daemon.token_file'), value: null, expected: `expected a token file: daemon.listen ${r.daemon.listen} is not loopback` });
  }
  if (r.vps.engine_install === 'upload' && r.vps.engine_binary === null) {
    out.push({ path: P('vps.engine_binary'), value: null, expected: 'expected the local path of the engine binary to upload (vps.engine_install is "upload")' });
  }
  return out;
}
