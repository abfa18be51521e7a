/**
 * Shape checks for API responses. The API is undocumented, so a response that
 * lacks a field privroute needs is an error, not something to paper over: the
 * caller gets an OperationError and nothing is stored.
 */
import { OperationError } from '../core/errors.js';
import { isKey } from './keys.js';
import type { WarpDevice } from './types.js';

function bad(what: string, field: string): never {
  throw new OperationError('warp-api', `${what}: response has no usable ${field}`, {
    hint: 'the device API answered with an unexpected shape; nothing was stored. Re-check warp.api_base (version segment) and retry',
  });
}

/**
 * Validate a device object (POST /reg, GET /reg/<id>, PATCH /reg/<id>).
 * `needToken`: POST /reg must return the bearer token.
 */
export function asDevice(what: string, j: unknown, needToken: boolean): WarpDevice {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad(what, 'device object');
  const d = j as Record<string, unknown>;
  // Some API versions wrap the object as {result: {...}}; accept that, nothing else.
  if (typeof d.id !== 'string' && typeof d.result === 'object' && d.result !== null) return asDevice(what, d.result, needToken);
  if (typeof d.id !== 'string' || d.id === '') bad(what, 'id');
  if (needToken && (typeof d.token !== 'string' || d.token === '')) bad(what, 'token');
  const cfg = d.config as Record<string, unknown> | undefined;
  if (typeof cfg !== 'object' || cfg === null) bad(what, 'config');
  const iface = cfg.interface as { addresses?: { v4?: unknown; v6?: unknown } } | undefined;
  if (typeof iface?.addresses?.v4 !== 'string') bad(what, 'config.interface.addresses.v4');
  if (iface.addresses.v6 !== undefined && typeof iface.addresses.v6 !== 'string') bad(what, 'config.interface.addresses.v6');
  const peers = cfg.peers as { public_key?: unknown; endpoint?: Record<string, unknown> }[] | undefined;
  if (!Array.isArray(peers) || peers.length === 0) bad(what, 'config.peers');
  if (!isKey(peers[0]!.public_key)) bad(what, 'config.peers[0].public_key');
  const ep = peers[0]!.endpoint;
  if (typeof ep !== 'object' || ep === null || (typeof ep.host !== 'string' && typeof ep.v4 !== 'string' && typeof ep.v6 !== 'string')) {
    bad(what, 'config.peers[0].endpoint');
  }
  if (cfg.client_id !== undefined && typeof cfg.client_id !== 'string') bad(what, 'config.client_id');
  const account = (typeof d.account === 'object' && d.account !== null ? d.account : {}) as WarpDevice['account'];
  return { ...(d as unknown as WarpDevice), account };
}
