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
        sniffing: { enabled: true, destOverride: ['http', 'tls'] },
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
