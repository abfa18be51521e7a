/**
 * The WireGuard cross-platform userspace configuration protocol ("UAPI",
 * https://www.wireguard.com/xplatform/), pure: parse a `get=1` reply into the
 * typed {@link Device}, render a `set=1` request from typed operations, read the
 * `errno=N` trailer. No I/O here; the socket transport is uapi-backend.ts.
 *
 * Protocol facts relied on (captured from wireguard-go, test/fixtures/uapi/):
 * - a reply is `key=value` lines ended by `errno=N` and an empty line; the
 *   connection stays open, so the reader stops at the blank line, not at EOF;
 * - keys are lowercase hex; an all-zero preshared_key means "none";
 * - `get` does not list the device's public key (derive it from private_key);
 * - `last_handshake_time_sec=0` + `_nsec=0` means never;
 * - a malformed set gets `errno=-22` (EINVAL); an unknown operation gets no reply
 *   and the connection is closed.
 *
 * Why not wireguard-tools.js for this (v1.8.1, confirmed by
 * test/unit/tunnel/wgtools-defects.test.ts and the lab facts):
 * - `setConfig`/`getConfig` only speak kernel netlink: against wireguard-go they
 *   fail (measured: setConfig -17 "Cannot add device" in the device's namespace,
 *   -95 elsewhere; getConfig -93), although its listDevices() finds the UAPI socket;
 * - its JS socket fallback only runs if the add-on is removed, and then files
 *   every peer under the key "undefined" (reported in lab-facts.md, not re-measured);
 * - `wgQuick.parse` drops MTU and PersistentKeepalive; `wgQuick.stringify`
 *   invents `DNS = 1.1.1.1, 8.8.8.8` and writes `ListenPort = 0`.
 * Its key generation is correct and is used (keys.ts).
 */
import ipaddr from 'ipaddr.js';
import { OperationError } from '../../core/errors.js';
import { hexToKey, isZeroKey, keyToHex, publicKeyOf, type KeyB64 } from '../keys.js';
import type { Device, Peer, PeerSpec } from './model.js';

/** A protocol-level failure: a non-zero errno, or an unparsable reply. */
export class UapiError extends OperationError {
  /** The errno the device returned (negative, e.g. -22), or null for a parse error. */
  readonly errno: number | null;
  constructor(message: string, errno: number | null) {
    super('wireguard-uapi', message);
    this.errno = errno;
  }
}

/** Split a reply into key/value lines, check the errno trailer. Throws UapiError. */
export function parseReply(text: string): Array<[string, string]> {
  const lines = text.split('\n');
  const out: Array<[string, string]> = [];
  let errno: number | null = null;
  for (const line of lines) {
    if (line === '') {
      if (errno !== null) break; // blank line after errno ends the reply
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UapiError(`malformed reply line ${JSON.stringify(line.slice(0, 80))}`, null);
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'errno') errno = Number(v);
    else out.push([k, v]);
  }
  if (errno === null) throw new UapiError('reply has no errno trailer (connection closed early?)', null);
  if (errno !== 0) throw new UapiError(`device returned errno=${errno}`, errno);
  return out;
}

function int(k: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UapiError(`${k}: not an unsigned integer: ${JSON.stringify(v)}`, null);
  return Number(v);
}

/** Parse the reply to `get=1` into a Device. Throws UapiError on errno≠0 or garbage. */
export function parseGet(text: string): Device {
  const dev: Device = { privateKey: null, publicKey: null, listenPort: 0, peers: [] };
  let peer: Peer | null = null;
  let hsSec = 0;
  let hsNsec = 0;
  const finish = () => {
    if (!peer) return;
    peer.lastHandshake = hsSec === 0 && hsNsec === 0 ? null : new Date(hsSec * 1000 + Math.floor(hsNsec / 1e6));
    dev.peers.push(peer);
  };
  for (const [k, v] of parseReply(text)) {
    if (k === 'public_key') {
      finish();
      peer = { publicKey: hexToKey(v), allowedIps: [], rxBytes: 0, txBytes: 0 };
      hsSec = hsNsec = 0;
      continue;
    }
    if (!peer) {
      if (k === 'private_key') {
        const key = hexToKey(v);
        dev.privateKey = isZeroKey(key) ? null : key;
        dev.publicKey = dev.privateKey ? publicKeyOf(dev.privateKey) : null;
      } else if (k === 'listen_port') dev.listenPort = int(k, v);
      else if (k === 'fwmark') dev.fwmark = int(k, v);
      // unknown device keys: ignored (forward compatible)
      continue;
    }
    switch (k) {
      case 'preshared_key': {
        const key = hexToKey(v);
        if (!isZeroKey(key)) peer.presharedKey = key;
        break;
      }
      case 'endpoint': peer.endpoint = v; break;
      case 'last_handshake_time_sec': hsSec = int(k, v); break;
      case 'last_handshake_time_nsec': hsNsec = int(k, v); break;
      case 'tx_bytes': peer.txBytes = int(k, v); break;
      case 'rx_bytes': peer.rxBytes = int(k, v); break;
      case 'persistent_keepalive_interval': {
        const n = int(k, v);
        if (n > 0) peer.persistentKeepalive = n;
        break;
      }
      case 'allowed_ip': peer.allowedIps.push(v); break;
      default: break; // protocol_version and future keys
    }
  }
  finish();
  return dev;
}

/** One peer operation in a set request. */
export type PeerOp =
  | { kind: 'upsert'; peer: PeerSpec }
  | { kind: 'remove'; publicKey: KeyB64 };

/** A set request. Only the fields given are changed. */
export interface SetRequest {
  privateKey?: KeyB64;
  listenPort?: number;
  fwmark?: number;
  /** Replace the whole peer list with `peers` (the WARP tunnel's atomic peer swap uses it: src/warp/node.ts). */
  replacePeers?: boolean;
  peers?: PeerOp[];
}

function checkCidr(c: string): string {
  if (!ipaddr.isValidCIDR(c)) throw new UapiError(`allowed_ip: not a CIDR: ${JSON.stringify(c)}`, null);
  const [a, len] = ipaddr.parseCIDR(c);
  return `${a.toString()}/${len}`;
}

function checkEndpoint(e: string): string {
  // host:port or [v6]:port; no whitespace/newline/'=' can reach the wire (no injection).
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(e)) throw new UapiError(`endpoint: invalid ${JSON.stringify(e)}`, null);
  return e;
}

function checkPort(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UapiError(`${what}: invalid ${n}`, null);
  return n;
}

/**
 * Render a `set=1` request (ends with the blank line). An upsert sets the PSK
 * (all-zero clears it), the keepalive (0 = off) and replaces the allowed IPs, so
 * the peer ends exactly as specified; a remove sends `remove=true`.
 * Every value is validated first (throws UapiError): nothing unchecked is written.
 */
export function renderSet(req: SetRequest): string {
  const l: string[] = ['set=1'];
  if (req.privateKey !== undefined) l.push(`private_key=${keyToHex(req.privateKey)}`);
  if (req.listenPort !== undefined) l.push(`listen_port=${checkPort(req.listenPort, 'listen_port')}`);
  if (req.fwmark !== undefined) l.push(`fwmark=${req.fwmark >>> 0}`);
  if (req.replacePeers) l.push('replace_peers=true');
  for (const op of req.peers ?? []) {
    if (op.kind === 'remove') {
      l.push(`public_key=${keyToHex(op.publicKey)}`, 'remove=true');
      continue;
    }
    const p = op.peer;
    l.push(`public_key=${keyToHex(p.publicKey)}`);
    l.push(`preshared_key=${p.presharedKey ? keyToHex(p.presharedKey) : '0'.repeat(64)}`);
    if (p.endpoint !== undefined) l.push(`endpoint=${checkEndpoint(p.endpoint)}`);
    l.push(`persistent_keepalive_interval=${checkPort(p.persistentKeepalive ?? 0, 'persistent_keepalive_interval')}`);
    l.push('replace_allowed_ips=true');
    for (const c of p.allowedIps) l.push(`allowed_ip=${checkCidr(c)}`);
  }
  return l.join('\n') + '\n\n';
}

/** The request text for reading a device. */
export const GET_REQUEST = 'get=1\n\n';
