/**
 * Pure renderers/parsers between the API's device object, wgcf's profile text and
 * the tunnel model the node wiring applies. No I/O.
 *
 * - {@link tunnelModelFromDevice}: device object -> what the WireGuard device needs;
 * - {@link renderWgcfProfile}: the wgcf-profile.conf text (for users who want it);
 * - {@link parseWgcfProfile}: our own parser for an imported wgcf-profile.conf
 *   (`warp.wgcf_config`); wireguard-tools.js's wg-quick parser is not used because
 *   it drops the line before the first [Peer] and ignores MTU.
 */
import { checkAddressPrefix, checkHostPort, checkIp } from '../config/formats.js';
import { InputError, type InputProblem } from '../core/errors.js';
import { isKey } from './keys.js';
import type { WarpDevice } from './types.js';

/** The WARP MTU (wgcf's and Cloudflare's value). */
export const WARP_MTU = 1280;
/** Keepalive so the node's NAT mapping and the handshake stay fresh. */
export const WARP_KEEPALIVE = 25;
/** wgcf's DNS line. Rendered in the profile only; the node does not use it. */
export const WGCF_DNS = ['1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001'];

/** WireGuard backends privroute can drive, for the reserved-bytes report. */
export type WgBackendName = 'wireguard-go' | 'kernel';

/** Reserved bytes and whether the backend actually puts them on the wire. */
export interface ReservedBytes {
  bytes: [number, number, number] | null;
  applied: boolean;
  /** Why not applied (honest status: never claim it is). */
  detail: string;
}

/** What the WARP WireGuard device needs. No secrets: the private key is kept apart. */
export interface WarpTunnelModel {
  source: 'api' | 'wgcf-profile';
  deviceId: string | null;
  accountType: string | null;
  mtu: number;
  /** `a.b.c.d/32` or null. */
  address4: string | null;
  /** `x::y/128` or null. */
  address6: string | null;
  peer: {
    publicKey: string;
    /** `ip:port` / `[ip6]:port` when known; otherwise `host:port` to be resolved at apply time. */
    endpoint: string;
    /** The API's `endpoint.host` (what wgcf writes into the profile). */
    endpointHost: string | null;
    allowedIps: string[];
    persistentKeepalive: number;
  };
  reserved: ReservedBytes;
}

/** Options of {@link tunnelModelFromDevice}. */
export interface ModelOptions {
  /** Whether the host has IPv6 connectivity; without it the v4 endpoint is used. */
  hostHasIpv6: boolean;
  backend: WgBackendName;
  mtu?: number;
}

/** Split `host:port`, `[v6]:port`, `v4:port`. Port 0 or missing -> undefined. */
export function splitHostPort(s: string): { host: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s }; // bare IPv6 without brackets
  const port = m[2] === undefined ? undefined : Number(m[2]);
  return { host: m[1]!, port: port ? port : undefined };
}

function withPrefix(a: string | undefined, bits: number): string | null {
  if (!a) return null;
  return a.includes('/') ? a : `${a}/${bits}`;
}

/** The reserved bytes from `client_id` (first 3 bytes of its base64) and the backend's support. */
export function reservedBytes(clientId: string | undefined, backend: WgBackendName): ReservedBytes {
  const raw = clientId ? Buffer.from(clientId, 'base64') : Buffer.alloc(0);
  const bytes = raw.length >= 3 ? ([raw[0]!, raw[1]!, raw[2]!] as [number, number, number]) : null;
  if (!bytes) return { bytes: null, applied: false, detail: 'the API gave no client_id' };
  return {
    bytes,
    applied: false,
    detail:
      backend === 'wireguard-go'
        ? 'unsupported: upstream wireguard-go has no option for WireGuard reserved bytes; packets carry zeros there'
        : 'unsupported: kernel WireGuard has no option for reserved bytes; packets carry zeros there',
  };
}

/**
 * Choose the endpoint privroute dials: the v6 address when the host has IPv6, else
 * the v4 one (hosts without IPv6 need it); the port comes from the address when
 * non-zero, else from `host`, else 2408. Falls back to `host` itself (resolved later).
 */
export function chooseEndpoint(ep: WarpDevice['config']['peers'][number]['endpoint'], hostHasIpv6: boolean): string {
  const h = ep.host ? splitHostPort(ep.host) : undefined;
  const port = (s: string | undefined): number => (s ? splitHostPort(s).port : undefined) ?? h?.port ?? 2408;
  if (hostHasIpv6 && ep.v6) return `[${splitHostPort(ep.v6).host}]:${port(ep.v6)}`;
  if (ep.v4) return `${splitHostPort(ep.v4).host}:${port(ep.v4)}`;
  if (ep.v6 && hostHasIpv6) return `[${splitHostPort(ep.v6).host}]:${port(ep.v6)}`;
  if (h) return `${h.host}:${h.port ?? 2408}`;
  throw new Error('device has no peer endpoint');
}

/** Device object -> tunnel model (pure). Expects a validated device (see validate.ts). */
export function tunnelModelFromDevice(d: WarpDevice, o: ModelOptions): WarpTunnelModel {
  const peer = d.config.peers[0]!;
  return {
    source: 'api',
    deviceId: d.id,
    accountType: d.account.account_type ?? null,
    mtu: o.mtu ?? WARP_MTU,
    address4: withPrefix(d.config.interface.addresses.v4, 32),
    address6: withPrefix(d.config.interface.addresses.v6, 128),
    peer: {
      publicKey: peer.public_key,
      endpoint: chooseEndpoint(peer.endpoint, o.hostHasIpv6),
      endpointHost: peer.endpoint.host ?? null,
      allowedIps: ['0.0.0.0/0', '::/0'],
      persistentKeepalive: WARP_KEEPALIVE,
    },
    reserved: reservedBytes(d.config.client_id, o.backend),
  };
}

/** Render the profile wgcf writes (pure). Contains the private key: write it 0600. */
export function renderWgcfProfile(privateKey: string, d: WarpDevice, mtu = WARP_MTU): string {
  const a = d.config.interface.addresses;
  const peer = d.config.peers[0]!;
  const addrs = [withPrefix(a.v4, 32), withPrefix(a.v6, 128)].filter((x): x is string => x !== null);
  return [
    '[Interface]',
    `PrivateKey = ${privateKey}`,
    `Address = ${addrs.join(', ')}`,
    `DNS = ${WGCF_DNS.join(', ')}`,
    `MTU = ${mtu}`,
    '[Peer]',
    `PublicKey = ${peer.public_key}`,
    'AllowedIPs = 0.0.0.0/0, ::/0',
    `Endpoint = ${peer.endpoint.host ?? chooseEndpoint(peer.endpoint, false)}`,
    '',
  ].join('\n');
}

/** A parsed wgcf-profile.conf. `privateKey` is a secret. */
export interface WgcfProfile {
  privateKey: string;
  addresses: string[];
  dns: string[];
  mtu: number | null;
  peer: { publicKey: string; allowedIps: string[]; endpoint: string; persistentKeepalive: number | null };
}

/**
 * Parse a wgcf-profile.conf (pure). Every line is accounted for: unknown keys,
 * keys outside a section, a missing key or a second [Peer] are InputErrors naming
 * `<keyPath>` and the line, so an import never silently loses a setting.
 */
export function parseWgcfProfile(text: string, keyPath = 'warp.wgcf_config'): WgcfProfile {
  const problems: InputProblem[] = [];
  const iface: Record<string, string> = {};
  const peer: Record<string, string> = {};
  let section: 'Interface' | 'Peer' | null = null;
  let peers = 0;
  const multi = new Set(['address', 'dns', 'allowedips']);
  text.split(/\r?\n/).forEach((raw, i) => {
    // wg-quick comments start with `#` only. `;` used to end the value too, so
    // `Endpoint = 1.2.3.4:2408;x` was silently cut; now the whole value is checked.
    const line = raw.replace(/\s*#.*$/, '').trim();
    if (line === '') return;
    const at = `${keyPath} line ${i + 1}`;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      if (sec[1] === 'Interface' || sec[1] === 'Peer') section = sec[1];
      else problems.push({ path: at, value: line, expected: 'a [Interface] or [Peer] section' });
      if (sec[1] === 'Peer' && ++peers > 1) problems.push({ path: at, value: line, expected: 'exactly one [Peer] (a WARP profile has one)' });
      return;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !section) {
      problems.push({ path: at, value: raw, expected: section ? '"Key = value"' : 'a key inside [Interface] or [Peer]' });
      return;
    }
    const k = kv[1]!.toLowerCase();
    const into = section === 'Interface' ? iface : peer;
    const known = section === 'Interface' ? ['privatekey', 'address', 'dns', 'mtu', 'listenport'] : ['publickey', 'allowedips', 'endpoint', 'persistentkeepalive', 'presharedkey'];
    if (!known.includes(k)) {
      problems.push({ path: at, value: kv[1], expected: `one of ${known.join(', ')} in [${section}]` });
      return;
    }
    into[k] = multi.has(k) && into[k] ? `${into[k]}, ${kv[2]}` : kv[2]!;
  });
  const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (!isKey(iface.privatekey)) problems.push({ path: `${keyPath} [Interface] PrivateKey`, value: iface.privatekey ? '<redacted>' : undefined, expected: 'a base64 WireGuard private key' });
  if (list(iface.address).length === 0) problems.push({ path: `${keyPath} [Interface] Address`, expected: 'at least one address' });
  problems.push(...listProblems(iface.address, `${keyPath} [Interface] Address`, checkAddressPrefix));
  problems.push(...listProblems(iface.dns, `${keyPath} [Interface] DNS`, checkIp));
  problems.push(...listProblems(peer.allowedips, `${keyPath} [Peer] AllowedIPs`, checkAddressPrefix));
  if (peer.endpoint && checkHostPort(peer.endpoint) !== null) {
    problems.push({ path: `${keyPath} [Peer] Endpoint`, value: peer.endpoint, expected: 'host:port of the WARP edge ([v6]:port for IPv6), port 1..65535' });
  }
  if (peer.persistentkeepalive !== undefined && !(/^\d{1,5}$/.test(peer.persistentkeepalive) && Number(peer.persistentkeepalive) <= 65535)) {
    problems.push({ path: `${keyPath} [Peer] PersistentKeepalive`, value: peer.persistentkeepalive, expected: 'seconds as an integer 0..65535 (0 = off)' });
  }
  const mtu = iface.mtu === undefined ? null : Number(iface.mtu);
  if (mtu !== null && !(Number.isInteger(mtu) && mtu >= 1280 && mtu <= 9000)) problems.push({ path: `${keyPath} [Interface] MTU`, value: iface.mtu, expected: 'an integer 1280..9000' });
  if (peers === 0) problems.push({ path: keyPath, expected: 'a [Peer] section' });
  if (!isKey(peer.publickey)) problems.push({ path: `${keyPath} [Peer] PublicKey`, value: peer.publickey, expected: 'a base64 WireGuard public key' });
  if (!peer.endpoint) problems.push({ path: `${keyPath} [Peer] Endpoint`, expected: 'host:port of the WARP edge' });
  if (iface.listenport !== undefined || peer.presharedkey !== undefined) {
    // Accepted by wg-quick, but WARP uses neither; refuse instead of silently ignoring.
    problems.push({ path: `${keyPath}`, value: iface.listenport !== undefined ? 'ListenPort' : 'PresharedKey', expected: 'no ListenPort/PresharedKey (WARP profiles have none)' });
  }
  if (problems.length) throw new InputError(problems);
  const ka = peer.persistentkeepalive === undefined ? null : Number(peer.persistentkeepalive);
  return {
    privateKey: iface.privatekey!,
    addresses: list(iface.address),
    dns: list(iface.dns),
    mtu,
    peer: { publicKey: peer.publickey!, allowedIps: list(peer.allowedips), endpoint: peer.endpoint!, persistentKeepalive: ka },
  };
}

/** One problem per entry of a comma-separated `value` that `check` refuses (the whole value shown). */
function listProblems(value: string | undefined, path: string, check: (v: unknown) => string | null): InputProblem[] {
  const bad = (value ?? '').split(',').map((x) => x.trim()).filter(Boolean).map(check).find((p) => p !== null);
  return bad ? [{ path, value, expected: bad }] : [];
}

/** Tunnel model from an imported profile (pure). */
export function tunnelModelFromProfile(p: WgcfProfile, backend: WgBackendName): WarpTunnelModel {
  const v4 = p.addresses.find((a) => !a.includes(':'));
  const v6 = p.addresses.find((a) => a.includes(':'));
  return {
    source: 'wgcf-profile',
    deviceId: null,
    accountType: null,
    mtu: p.mtu ?? WARP_MTU,
    address4: withPrefix(v4, 32),
    address6: withPrefix(v6, 128),
    peer: {
      publicKey: p.peer.publicKey,
      endpoint: p.peer.endpoint,
      endpointHost: p.peer.endpoint,
      allowedIps: p.peer.allowedIps.length ? p.peer.allowedIps : ['0.0.0.0/0', '::/0'],
      persistentKeepalive: p.peer.persistentKeepalive ?? WARP_KEEPALIVE,
    },
    reserved: { bytes: null, applied: false, detail: 'a wgcf profile carries no client_id' },
  };
}
