/**
 * The client's wg-quick config (pure). Written by hand rather than with
 * wireguard-tools.js `wgQuick.stringify`, which invents `DNS = 1.1.1.1, 8.8.8.8`,
 * writes `ListenPort = 0` and has no MTU (see device/uapi.ts).
 *
 * MTU must match the gateway's (a mismatch black-holes downloads, chain-recipe.md).
 * AllowedIPs is always `0.0.0.0/0, ::/0`: IPv6 too goes into the tunnel (where the
 * gateway drops it when no IPv6 is configured) instead of leaking around it.
 */
import type { KeyB64 } from './keys.js';

/** Everything a client config contains. */
export interface ClientConfigInput {
  privateKey: KeyB64;
  address4: string;
  address6: string | null;
  /** Prefix lengths of the client addresses: /32 and /128 (a single host each). */
  dns: readonly string[];
  mtu: number;
  serverPublicKey: KeyB64;
  presharedKey: KeyB64;
  /** `host:port` the client dials. */
  endpoint: string;
  /** Seconds; 0 = omit. */
  persistentKeepalive: number;
}

/** Render the wg-quick config text (LF line ends, trailing newline). */
export function renderClientConfig(c: ClientConfigInput): string {
  const addr = [`${c.address4}/32`, ...(c.address6 ? [`${c.address6}/128`] : [])].join(', ');
  const lines = [
    '[Interface]',
    `PrivateKey = ${c.privateKey}`,
    `Address = ${addr}`,
    ...(c.dns.length ? [`DNS = ${c.dns.join(', ')}`] : []),
    `MTU = ${c.mtu}`,
    '',
    '[Peer]',
    `PublicKey = ${c.serverPublicKey}`,
    `PresharedKey = ${c.presharedKey}`,
    'AllowedIPs = 0.0.0.0/0, ::/0',
    `Endpoint = ${c.endpoint}`,
    ...(c.persistentKeepalive > 0 ? [`PersistentKeepalive = ${c.persistentKeepalive}`] : []),
  ];
  return lines.join('\n') + '\n';
}

/**
 * Parse the subset of wg-quick text that {@link renderClientConfig} writes (used by
 * tests and the lab to bring a client up without wg-quick). Keys are case-sensitive
 * as wg-quick writes them; unknown keys are kept.
 */
export function parseWgQuick(text: string): { iface: Record<string, string>; peers: Record<string, string>[] } {
  const iface: Record<string, string> = {};
  const peers: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    if (line === '[Interface]') cur = iface;
    else if (line === '[Peer]') peers.push((cur = {}));
    else {
      const eq = line.indexOf('=');
      if (eq < 0 || !cur) throw new Error(`malformed wg-quick line ${JSON.stringify(line)}`);
      cur[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return { iface, peers };
}
