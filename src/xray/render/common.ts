/**
 * Pieces shared by the server and client renderers: tags, the stats/API block,
 * and the JSON value types. Pure.
 */
import type { EngineInfo } from '../types.js';

/** A JSON value as written to the engine's config file. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A JSON object. */
export type JsonObject = { [k: string]: Json };

/** Inbound/outbound tags. The API and rotation address them by these names. */
export const TAGS = {
  vlessIn: 'vless-in',
  api: 'api',
  socksIn: 'socks-in',
  redirIn: 'redir-in',
  dnsIn: 'dns-in',
  direct: 'direct',
  block: 'block',
  /** Client outbounds are `vps-g<generation>`; the balancer selects the prefix. */
  vpsPrefix: 'vps-g',
  balancer: 'vps',
} as const;

/** The client outbound tag of generation `g`. */
export function outboundTag(generation: number): string {
  return `${TAGS.vpsPrefix}${generation}`;
}

/**
 * `log`, `stats`, `api` and `policy`, plus the API's loopback dokodemo-door inbound.
 * Both engines (measured: v2ray 4.34) accept this shape; the HandlerService is what
 * lets rotation add/remove users and outbounds without a restart. Access logs are
 * off: the VPS must not keep a record of destinations.
 */
export function statsAndApi(apiPort: number): { top: JsonObject; inbound: JsonObject; rule: JsonObject } {
  return {
    top: {
      log: { loglevel: 'warning', access: 'none' },
      stats: {},
      api: { tag: TAGS.api, services: ['HandlerService', 'StatsService'] },
      policy: {
        levels: { '0': { statsUserUplink: true, statsUserDownlink: true } },
        system: {
          statsInboundUplink: true,
          statsInboundDownlink: true,
          statsOutboundUplink: true,
          statsOutboundDownlink: true,
        },
      },
    },
    inbound: { tag: TAGS.api, listen: '127.0.0.1', port: apiPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1' } },
    rule: { type: 'field', inboundTag: [TAGS.api], outboundTag: TAGS.api },
  };
}

/** Compare dotted versions numerically: -1, 0, 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Serialise a config the way it is written to disk (stable, 2-space, trailing newline). */
export function serialize(config: JsonObject): string {
  return JSON.stringify(config, null, 2) + '\n';
}

/** Xray renamed REALITY `dest` to `target`; older builds only know `dest`. */
export function realityTargetKey(engine: EngineInfo): 'target' | 'dest' {
  return compareVersions(engine.version, '25.0.0') >= 0 ? 'target' : 'dest';
}

/** `ip/32` or `ip/128`: a single-host CIDR for a routing rule. */
export function hostCidr(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}
