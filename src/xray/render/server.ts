/**
 * Render the VPS server config for a profile. Pure: data in, JSON out.
 *
 * - `vless-reality-vision`: VLESS + REALITY + xtls-rprx-vision (Xray-core only).
 * - `vless-tls`: VLESS + TLS over TCP with the generated certificate.
 *
 * Both carry the stats/API block, a `freedom` outbound, and routing rules that
 * blackhole loopback, link-local and private destinations — by name, and by
 * address *after resolving names* — so a client can never reach the VPS's own
 * services (the API included) or its provider's network. The chain's resolver
 * (`upstreamDns`) stays reachable even when it is a loopback stub. Residual: a
 * name resolved once for routing and again by `freedom` can rebind between the
 * two lookups; the VPS egress firewall (engine user may not reach private
 * ranges) closes that.
 */
import { EGRESS_MARK } from '../vps/egress-mark.js';
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

/**
 * Names a tunnel client must never have the VPS resolve and connect to, matched
 * before any resolution (v2ray 4.34 domain matchers; no geosite.dat): single-label
 * names (`localhost`, `metadata`, search-domain tricks), the special-use and
 * internal suffixes (`.localhost`, `.local`, `.internal` — `metadata.google.internal`
 * —, `.lan`, `.home.arpa`, `.localdomain`), and names made only of numeric labels
 * (`2130706433`, `0x7f.1`: inet_aton forms a resolver may turn into 127.0.0.1).
 * Case-insensitive, with or without the trailing dot.
 */
export const BLOCKED_NAMES = [
  'regexp:^[^.]+\\.?$',
  'regexp:(?i)(^|\\.)(localhost|localdomain|local|internal|intranet|lan|home\\.arpa)\\.?$',
  'regexp:(?i)^(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+))*\\.?$',
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
      // Every connection the engine opens for a client carries EGRESS_MARK: the VPS's
      // egress firewall (src/xray/vps/firewall.ts) rejects marked connections to
      // loopback, private and link-local ranges, whatever name resolved to them.
      { tag: TAGS.direct, protocol: 'freedom', settings: {}, streamSettings: { sockopt: { mark: EGRESS_MARK } } },
      { tag: TAGS.block, protocol: 'blackhole', settings: {} },
    ],
    routing: {
      // A client may send a *name* (SOCKS, or a sniffed Host/SNI): `IPOnDemand`
      // resolves it as soon as an IP rule is evaluated, so the block below sees
      // the addresses the name points at, not just literal IPs (with `AsIs` a name
      // for 127.0.0.1 went straight past it). `IPIfNonMatch` would not do: the
      // catch-all rule always matches first, so it would never resolve.
      domainStrategy: 'IPOnDemand',
      rules: [
        api.rule,
        { type: 'field', domain: [...BLOCKED_NAMES], outboundTag: TAGS.block },
        { type: 'field', ip: [hostCidr(i.upstreamDns)], port: '53', outboundTag: TAGS.direct },
        { type: 'field', ip: [...BLOCKED_DESTINATIONS], outboundTag: TAGS.block },
        { type: 'field', network: 'tcp,udp', outboundTag: TAGS.direct },
      ],
    },
  };
}
