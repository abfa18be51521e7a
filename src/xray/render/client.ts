/**
 * Render the client config that runs in CT101. Pure: data in, JSON out.
 *
 * Inbounds (all inside the container):
 * - `socks-in`: SOCKS on 127.0.0.1:<socks_port> (loopback only; `udp` only if the
 *   profile carries UDP on this engine);
 * - `redir-in`: dokodemo-door on <socket ip>:<transparent_port>, `followRedirect`,
 *   TCP only — fed by iptables REDIRECT from the WireGuard gateway;
 * - `dns-in`: dokodemo-door on <socket ip>:<dns_port>, TCP+UDP, forwarding every
 *   query to <upstream_dns>:53 through the tunnel (measured on v2ray 4.34: VLESS
 *   carries the UDP query and the resolver sees the VPS as the source);
 * - `api`: the engine API on loopback (stats, and hot outbound swaps for rotation).
 *
 * Outbound: one VLESS outbound `vps-g<generation>` with `sockopt.mark`, reached
 * through a balancer that selects the `vps-g` prefix, so rotation can add the next
 * generation's outbound and then remove the old one without a moment with none.
 * There is no direct outbound: nothing leaves the container except through the VPS.
 */
import type { EngineInfo, XrayMaterial, XrayProfile } from '../types.js';
import { outboundTag, statsAndApi, TAGS, type JsonObject } from './common.js';

export interface ClientRenderInput {
  profile: XrayProfile;
  engine: EngineInfo;
  vpsAddress: string;
  vpsPort: number;
  material: XrayMaterial;
  /** The container's chain address (its socket IP): where REDIRECTed traffic lands. */
  socketIp: string;
  socksPort: number;
  transparentPort: number;
  dnsPort: number;
  upstreamDns: string;
  apiPort: number;
  /** SO_MARK on the connections to the VPS (policy routing / loop avoidance). */
  mark: number;
  /** vless-tls: the pinned certificate's path in the container. */
  certFile: string;
  /** vless-reality-vision: the SNI to present (first of vps.reality_server_names). */
  realityServerName: string;
  /** Whether the profile carries UDP on this engine (SOCKS UDP associate). */
  udp: boolean;
}

/** The VLESS outbound of the material's client generation (also used by hot rotation). */
export function renderVpsOutbound(i: ClientRenderInput): JsonObject {
  const reality = i.profile === 'vless-reality-vision';
  const user: JsonObject = { id: i.material.clientUser.uuid, encryption: 'none', level: 0 };
  if (reality) user.flow = 'xtls-rprx-vision';
  const streamSettings: JsonObject = reality
    ? {
        network: 'tcp',
        security: 'reality',
        realitySettings: {
          serverName: i.realityServerName,
          fingerprint: 'chrome',
          publicKey: i.material.reality.publicKey,
          shortId: i.material.clientShortId,
          spiderX: '/',
        },
        sockopt: { mark: i.mark },
      }
    : {
        network: 'tcp',
        security: 'tls',
        tlsSettings: {
          serverName: i.vpsAddress,
          allowInsecure: false,
          // The pin is the *only* trust: without this, v2ray adds the system roots,
          // and any public (or locally installed) CA could vouch for the VPS address.
          disableSystemRoot: true,
          certificates: [{ usage: 'verify', certificateFile: i.certFile }],
        },
        sockopt: { mark: i.mark },
      };
  return {
    tag: outboundTag(i.material.generation),
    protocol: 'vless',
    settings: { vnext: [{ address: i.vpsAddress, port: i.vpsPort, users: [user] }] },
    streamSettings,
  };
}

/**
 * Sniffing on the transparent inbound must never *replace* the destination the
 * client's device chose: with destOverride, a `Host:`/SNI naming something that
 * resolves, on the VPS, to its loopback or metadata address became the target.
 * Xray: sniff for routing only (`routeOnly`). V2Ray 4.34 has no `routeOnly` nor
 * `metadataOnly` (absent from its config parser; measured), and the client routes
 * everything to the VPS anyway, so it does not sniff at all: the IP the device
 * connected to is what the VPS is asked to reach.
 */
export function clientSniffing(engine: EngineInfo): JsonObject {
  return engine.kind === 'xray' ? { sniffing: { enabled: true, destOverride: ['http', 'tls'], routeOnly: true } } : {};
}

/** The client's JSON config. */
export function renderClient(i: ClientRenderInput): JsonObject {
  const api = statsAndApi(i.apiPort);
  return {
    ...api.top,
    inbounds: [
      { tag: TAGS.socksIn, listen: '127.0.0.1', port: i.socksPort, protocol: 'socks', settings: { auth: 'noauth', udp: i.udp } },
      {
        tag: TAGS.redirIn,
        listen: i.socketIp,
        port: i.transparentPort,
        protocol: 'dokodemo-door',
        settings: { network: 'tcp', followRedirect: true },
        streamSettings: { sockopt: { tproxy: 'redirect' } },
        ...clientSniffing(i.engine),
      },
      {
        tag: TAGS.dnsIn,
        listen: i.socketIp,
        port: i.dnsPort,
        protocol: 'dokodemo-door',
        settings: { address: i.upstreamDns, port: 53, network: 'tcp,udp' },
      },
      api.inbound,
    ],
    outbounds: [renderVpsOutbound(i)],
    routing: {
      domainStrategy: 'AsIs',
      balancers: [{ tag: TAGS.balancer, selector: [TAGS.vpsPrefix] }],
      rules: [api.rule, { type: 'field', network: 'tcp,udp', balancerTag: TAGS.balancer }],
    },
  };
}
