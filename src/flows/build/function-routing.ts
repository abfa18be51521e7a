/**
 * Stage 40, function routing (mesh side only): the seed's `function_routing`
 * maps a function to a target mesh socket by TCP/UDP destination port.
 *
 * Only mesh-class traffic (from nm-privacy or a mesh socket) ever enters this
 * table; privacy-chain traffic is dispatched to stage 30 and cannot reach it.
 *   isolation (65000)   frames from mesh ports addressed to a chain port's MAC → drop
 *   route (90)          reg0 ∈ mesh classes, tcp_dst=P → reg1 := target
 *   reply (90)          in_port=target, tcp_src=P, dl_dst=<mesh port Q> → reg1 := Q
 *   L2 (20)             ARP and ICMP between mesh ports by destination MAC; ARP broadcast
 *                       copied to every mesh port
 * Anything else (e.g. a mesh socket opening a connection, or a port no function
 * names) misses and is dropped.
 */
import type { InputProblem } from '../../core/errors.js';
import type { Flow, FlowAction, FlowMatch } from '../../ovs/flow.js';
import { portByName } from '../../topology/addressing.js';
import { PRIORITY, TABLE } from '../pipeline.js';
import { matchSourceClass, MESH_CLASSES, setOutputPort } from '../registers.js';
import { BROADCAST, cookieOf, ETH, flow, isChainPort, isMeshPort, PROTO, type BuildContext } from './context.js';

const ROOT = 'plugins.privacy_router.openflow.function_routing';

/** One resolved function route. */
export interface FunctionRoute {
  index: number;
  function: string;
  target: string;
  proto: 'tcp' | 'udp';
  port: number;
}

/** Validate and resolve function routes; problems appended (unknown socket, field, duplicate port/function). */
export function resolveFunctionRoutes(ctx: BuildContext, problems: InputProblem[]): FunctionRoute[] {
  const out: FunctionRoute[] = [];
  const seenPort = new Map<string, string>();
  const seenFn = new Map<string, string>();
  ctx.r.openflow.function_routing.forEach((d, i) => {
    const path = `${ROOT}[${i}]`;
    const prevFn = seenFn.get(d.function);
    if (prevFn) problems.push({ path: `${path}.function`, value: d.function, expected: `a function name not already used by ${prevFn}` });
    seenFn.set(d.function, path);
    const target = portByName(ctx.topo, d.target_socket);
    if (!target || target.role !== 'mesh') {
      const mesh = ctx.topo.ports.filter((p) => p.role === 'mesh').map((p) => p.name);
      problems.push({ path: `${path}.target_socket`, value: d.target_socket, expected: `a mesh socket (${mesh.join(', ') || 'none declared'}); privacy sockets are never function targets` });
    }
    const entries = Object.entries(d.match_fields ?? {});
    if (entries.length === 0) problems.push({ path: `${path}.match_fields`, value: d.match_fields, expected: 'at least one of tcp_dst, udp_dst' });
    for (const [k, v] of entries) {
      const at = `${path}.match_fields.${k}`;
      if (k !== 'tcp_dst' && k !== 'udp_dst') {
        problems.push({ path: at, value: v, expected: 'a known function match field: tcp_dst or udp_dst' });
        continue;
      }
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v).trim()) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        problems.push({ path: at, value: v, expected: 'a port number 1..65535' });
        continue;
      }
      const proto = k === 'tcp_dst' ? 'tcp' : 'udp';
      const prev = seenPort.get(`${proto}/${n}`);
      if (prev) problems.push({ path: at, value: v, expected: `a ${proto} port not already routed by ${prev} (duplicate function port)` });
      seenPort.set(`${proto}/${n}`, at);
      if (target?.role === 'mesh') out.push({ index: i, function: d.function, target: target.name, proto, port: n });
    }
  });
  return out;
}

/** Stage 40 flows. */
export function functionRoutingFlows(ctx: BuildContext, routes: readonly FunctionRoute[]): Flow[] {
  const t = TABLE.functionRouting;
  const out: Flow[] = [];
  const meshPorts = ctx.topo.ports.filter(isMeshPort);
  for (const c of ctx.topo.ports.filter(isChainPort)) {
    for (const cls of MESH_CLASSES) {
      out.push(flow({ table: t, priority: PRIORITY.isolation, cookie: cookieOf(ctx, 'isolation', 'none', c.objectId), match: { regs: matchSourceClass(cls), eth_dst: c.mac } }));
    }
  }
  for (const r of routes) {
    const target = portByName(ctx.topo, r.target)!;
    const proto = r.proto === 'tcp' ? PROTO.tcp : PROTO.udp;
    const dst: FlowMatch = r.proto === 'tcp' ? { tcp_dst: r.port } : { udp_dst: r.port };
    const src: FlowMatch = r.proto === 'tcp' ? { tcp_src: r.port } : { udp_src: r.port };
    for (const cls of MESH_CLASSES) {
      out.push(
        flow({
          table: t,
          priority: PRIORITY.functionRoute,
          cookie: cookieOf(ctx, 'function', 'functionRoute', r.index),
          match: { regs: matchSourceClass(cls), eth_type: ETH.ip, ip_proto: proto, ...dst },
          actions: [setOutputPort(target.objectId)],
          gotoTable: TABLE.obfuscation,
        }),
      );
    }
    for (const q of meshPorts) {
      if (q.name === target.name) continue;
      out.push(
        flow({
          table: t,
          priority: PRIORITY.functionRoute,
          cookie: cookieOf(ctx, 'function', 'functionReply', r.index),
          match: { in_port: target.name, eth_type: ETH.ip, ip_proto: proto, eth_dst: q.mac, ...src },
          actions: [setOutputPort(q.objectId)],
          gotoTable: TABLE.obfuscation,
        }),
      );
    }
  }
  // Mesh L2 housekeeping: ARP and ICMP by destination MAC, ARP broadcast to all mesh ports.
  const copies: FlowAction[] = meshPorts.flatMap((q) => [setOutputPort(q.objectId), { type: 'resubmit', table: TABLE.obfuscation } as const]);
  for (const cls of MESH_CLASSES) {
    for (const q of meshPorts) {
      for (const m of [{ eth_type: ETH.arp }, { eth_type: ETH.ip, ip_proto: PROTO.icmp }] as FlowMatch[]) {
        out.push(
          flow({
            table: t,
            priority: PRIORITY.meshL2,
            cookie: cookieOf(ctx, 'function', 'meshL2', q.objectId),
            match: { regs: matchSourceClass(cls), ...m, eth_dst: q.mac },
            actions: [setOutputPort(q.objectId)],
            gotoTable: TABLE.obfuscation,
          }),
        );
      }
    }
    if (meshPorts.length) {
      out.push(flow({ table: t, priority: PRIORITY.meshL2, cookie: cookieOf(ctx, 'function', 'meshL2', 0), match: { regs: matchSourceClass(cls), eth_type: ETH.arp, eth_dst: BROADCAST }, actions: copies }));
    }
  }
  return out;
}
