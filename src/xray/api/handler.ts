/**
 * The engine's HandlerService, driven at runtime so rotation needs no restart:
 * add/remove a VLESS user on the server inbound, add/remove a VLESS outbound on
 * the client. Measured on v2ray 4.34: users and outbounds change live, in-flight
 * connections are untouched, and the client's balancer picks up the new outbound.
 *
 * Transport: the engine's gRPC API listens on loopback of its own host, which
 * privroute reaches only through a HostExec. `curl --http2-prior-knowledge` speaks
 * gRPC's HTTP/2 there; the request (which carries the UUID) goes through stdin,
 * never argv; `grpc-status` comes back in the trailers, which `-D -` prints.
 */
import { OperationError } from '../../core/errors.js';
import type { HostExec } from '../../host/exec.js';
import type { EngineInfo, VlessUser } from '../types.js';
import { bytesField, grpcFrame, typedMessage, varintField } from './proto.js';

/** Type-name prefix of the engine's protobuf package (`v2ray.core.` or `xray.`). */
function ns(engine: EngineInfo): string {
  return engine.kind === 'xray' ? 'xray.' : 'v2ray.core.';
}

/** The argv of one gRPC unary call through curl (request on stdin). */
export function grpcCurlArgv(apiPort: number, method: string): string[] {
  return [
    'curl', '-sS', '--http2-prior-knowledge', '--max-time', '5', '-X', 'POST',
    '-H', 'content-type: application/grpc', '-H', 'te: trailers',
    '--data-binary', '@-', '-D', '-', '-o', '/dev/null',
    `http://127.0.0.1:${apiPort}/${method}`,
  ];
}

/** Parse `grpc-status`/`grpc-message` from curl's dumped headers+trailers. */
export function parseGrpcStatus(dump: string): { status: number | null; message: string } {
  const st = /^grpc-status:\s*(\d+)/im.exec(dump);
  const msg = /^grpc-message:\s*(.*)$/im.exec(dump);
  return { status: st ? Number(st[1]) : null, message: (msg?.[1] ?? '').trim() };
}

/** Call `Service/Method` with `message`; throws OperationError unless grpc-status is 0. */
export async function grpcCall(exec: HostExec, apiPort: number, method: string, message: Buffer, step: string): Promise<void> {
  const r = await exec.run(grpcCurlArgv(apiPort, method), { stdin: grpcFrame(message), timeoutMs: 10_000 });
  const { status, message: text } = parseGrpcStatus(r.stdout);
  if (status !== 0) {
    throw new OperationError(step, `${method} on ${exec.target} returned grpc-status ${status ?? 'none'}${text ? `: ${text}` : ''}`, {
      hint: 'check that the engine API is enabled (api.services HandlerService) and listening on 127.0.0.1:' + apiPort,
    });
  }
}

function vlessAccount(engine: EngineInfo, user: VlessUser, flow: string): Buffer {
  // proxy.vless.Account { string id = 1; string flow = 2; string encryption = 3; }
  return typedMessage(`${ns(engine)}proxy.vless.Account`, Buffer.concat([bytesField(1, user.uuid), bytesField(2, flow), bytesField(3, 'none')]));
}

function protocolUser(engine: EngineInfo, user: VlessUser, flow: string, withEmail: boolean): Buffer {
  // common.protocol.User { uint32 level = 1; string email = 2; TypedMessage account = 3; }
  return Buffer.concat([withEmail ? bytesField(2, user.email) : Buffer.alloc(0), bytesField(3, vlessAccount(engine, user, flow))]);
}

const handlerMethod = (engine: EngineInfo, m: string) => `${ns(engine)}app.proxyman.command.HandlerService/${m}`;

/** Add `user` to the server inbound `tag` (AlterInbound + AddUserOperation). */
export function addInboundUser(exec: HostExec, engine: EngineInfo, apiPort: number, tag: string, user: VlessUser, flow = ''): Promise<void> {
  const op = typedMessage(`${ns(engine)}app.proxyman.command.AddUserOperation`, bytesField(1, protocolUser(engine, user, flow, true)));
  return grpcCall(exec, apiPort, handlerMethod(engine, 'AlterInbound'), Buffer.concat([bytesField(1, tag), bytesField(2, op)]), 'vps:add-user');
}

/** Remove the user with `email` from the server inbound `tag` (AlterInbound + RemoveUserOperation). */
export function removeInboundUser(exec: HostExec, engine: EngineInfo, apiPort: number, tag: string, email: string): Promise<void> {
  const op = typedMessage(`${ns(engine)}app.proxyman.command.RemoveUserOperation`, bytesField(1, email));
  return grpcCall(exec, apiPort, handlerMethod(engine, 'AlterInbound'), Buffer.concat([bytesField(1, tag), bytesField(2, op)]), 'vps:remove-user');
}

/** What a hot-added VLESS+TLS client outbound needs. */
export interface TlsOutboundSpec {
  tag: string;
  address: string;
  port: number;
  user: VlessUser;
  serverName: string;
  /** The pinned certificate (PEM), loaded by the engine as a verification root. */
  certPem: string;
  mark: number;
}

/** IPOrDomain { bytes ip = 1; string domain = 2; } */
function ipOrDomain(address: string): Buffer {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  return v4 ? bytesField(1, Buffer.from(v4.slice(1).map(Number))) : bytesField(2, address);
}

/**
 * Add a VLESS + TLS (pinned certificate) outbound — the `vless-tls` profile's
 * client outbound — as core.OutboundHandlerConfig. V2Ray only: Xray clients
 * (REALITY) are switched by a restart.
 */
export function addTlsOutbound(exec: HostExec, engine: EngineInfo, apiPort: number, o: TlsOutboundSpec): Promise<void> {
  const p = ns(engine);
  const endpoint = Buffer.concat([bytesField(1, ipOrDomain(o.address)), varintField(2, o.port), bytesField(3, protocolUser(engine, o.user, '', false))]);
  const proxy = typedMessage(`${p}proxy.vless.outbound.Config`, bytesField(1, endpoint));
  // tls.Certificate { bytes Certificate = 1; bytes Key = 2; Usage usage = 3 (AUTHORITY_VERIFY = 1) }
  const cert = Buffer.concat([bytesField(1, Buffer.from(o.certPem)), varintField(3, 1)]);
  // tls.Config { repeated Certificate certificate = 2; string server_name = 3; bool disable_system_root = 6 }
  // (field 6 read from v2ray 4.34's own struct tags). The pin must be the only trust,
  // as in the rendered config: without it the engine adds the system roots.
  const tls = Buffer.concat([bytesField(2, cert), bytesField(3, o.serverName), varintField(6, 1)]);
  const tlsType = `${p}transport.internet.tls.Config`;
  // StreamConfig { string protocol_name = 5; string security_type = 3; repeated TypedMessage security_settings = 4; SocketConfig socket_settings = 6 { int32 mark = 1 } }
  const stream = Buffer.concat([bytesField(5, 'tcp'), bytesField(3, tlsType), bytesField(4, typedMessage(tlsType, tls)), bytesField(6, varintField(1, o.mark))]);
  const sender = typedMessage(`${p}app.proxyman.SenderConfig`, bytesField(2, stream));
  // core.OutboundHandlerConfig { string tag = 1; TypedMessage sender_settings = 2; TypedMessage proxy_settings = 3; }
  const handler = Buffer.concat([bytesField(1, o.tag), bytesField(2, sender), bytesField(3, proxy)]);
  return grpcCall(exec, apiPort, handlerMethod(engine, 'AddOutbound'), bytesField(1, handler), 'client:add-outbound');
}

/** Remove the outbound `tag`. In-flight connections through it finish normally. */
export function removeOutbound(exec: HostExec, engine: EngineInfo, apiPort: number, tag: string): Promise<void> {
  return grpcCall(exec, apiPort, handlerMethod(engine, 'RemoveOutbound'), bytesField(1, tag), 'client:remove-outbound');
}
