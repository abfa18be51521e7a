/**
 * Render the VPS server config for a profile. Pure: data in, JSON out.
 *
 * - `vless-reality-vision`: VLESS + REALITY + xtls-rprx-vision (Xray-core only).
 * - `vless-tls`: VLESS + TLS over TCP with the generated certificate.
 *
 * Both carry the stats/API block, a `freedom` outbound, and a routing rule that
 * blackholes loopback, link-local and private destinations so a client can never
 * reach the VPS's own services (the API included) or its provider's network. The chain's resolver
 * (`upstreamDns`) stays reachable even when it is a loopback stub.
 */
import type { EngineInfo, XrayMaterial, XrayProfile } from '../types.js';
import { hostCidr, realityTargetKey, statsAndApi, TAGS, type Json, type JsonObject } from './common.js';

export interface ServerRenderInput {
  profile: XrayProfile;
  engine: EngineInfo;
  /** Public inbound port (vps.xray_port). */
  port: number;
  material: XrayMaterial;
  /** Loopback port of the engine API on the VPS. */
  apiPort: number;
  /** Resolver the chain's DNS goes to (xray.upstream_dns), allowed even if loopback. */
  upstreamDns: string;
  /** vless-tls: where the certificate and key live on the VPS. */
  certFile: string;
  keyFile: string;
  /** vless-reality-vision: camouflage target `host:port` and the SNI list (non-empty). */
  realityTarget: string;
  serverNames: readonly string[];
  /** vless-reality-vision: set explicitly (Xray >= 26.7.11 otherwise refuses older clients). */
  minClientVer: string;
}

const FLOW_VISION = 'xtls-rprx-vision';

/**
 * Destinations a tunnel client must never reach from the VPS: its loopback (the
 * engine API lives there), unspecified, link-local (cloud metadata services),
 * and private/ULA ranges (the provider's internal network). Literal CIDRs:
 * `geoip:private` needs a geoip.dat that Debian's v2ray does not ship.
 */
export const BLOCKED_DESTINATIONS = [
  '0.0.0.0/8', '127.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10',
] as const;

/** The server's JSON config. Throws Error on input the caller should have validated. */
export function renderServer(i: ServerRenderInput): JsonObject {
  const reality = i.profile === 'vless-reality-vision';
  if (reality && i.serverNames.length === 0) throw new Error('REALITY needs at least one server name');
  const clients: Json[] = i.material.serverUsers.map((u) => ({
    id: u.uuid,
    email: u.email,
    level: 0,
    ...(reality ? { flow: FLOW_VISION } : {}),
  }));
  const streamSettings: JsonObject = reality
    ? {
        network: 'tcp',
        security: 'reality',
        realitySettings: {
          show: false,
          [realityTargetKey(i.engine)]: i.realityTarget,
          xver: 0,
          serverNames: [...i.serverNames],
          privateKey: i.material.reality.privateKey,
          minClientVer: i.minClientVer,
          shortIds: [...i.material.shortIds],
        },
      }
    : {
        network: 'tcp',
        security: 'tls',
        tlsSettings: { certificates: [{ certificateFile: i.certFile, keyFile: i.keyFile }] },
      };
  const api = statsAndApi(i.apiPort);
  return {
    ...api.top,
    inbounds: [
      { tag: TAGS.vlessIn, listen: '0.0.0.0', port: i.port, protocol: 'vless', settings: { clients, decryption: 'none' }, streamSettings },
      api.inbound,
    ],
    outbounds: [
      { tag: TAGS.direct, protocol: 'freedom', settings: {} },
      { tag: TAGS.block, protocol: 'blackhole', settings: {} },
    ],
    routing: {
      domainStrategy: 'AsIs',
      rules: [
        api.rule,
        { type: 'field', ip: [hostCidr(i.upstreamDns)], port: '53', outboundTag: TAGS.direct },
        { type: 'field', ip: [...BLOCKED_DESTINATIONS], outboundTag: TAGS.block },
        { type: 'field', network: 'tcp,udp', outboundTag: TAGS.direct },
      ],
    },
  };
}
