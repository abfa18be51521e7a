/**
 * Types shared by the WARP client, profile renderer, node wiring and rotation.
 *
 * The device object is what Cloudflare's (undocumented) device API returns; only
 * the fields privroute reads are typed (see shared/reference/warp-api.md). Values
 * are never hard-coded: everything below comes from a response.
 */

/** `config.peers[n].endpoint` as the API returns it. `v4`/`v6` often carry port 0. */
export interface WarpEndpoint {
  /** `engage.cloudflareclient.com:2408` style host:port. */
  host?: string;
  /** `162.159.192.1:0` (port may be 0). */
  v4?: string;
  /** `[2606:4700:d0::a29f:c001]:0` (port may be 0). */
  v6?: string;
}

/** One WARP peer in `config.peers`. */
export interface WarpPeer {
  public_key: string;
  endpoint: WarpEndpoint;
}

/** `config` of a device object. */
export interface WarpDeviceConfig {
  /** base64; its first 3 bytes are the "reserved" bytes some backends put in every packet. */
  client_id?: string;
  interface: { addresses: { v4: string; v6?: string } };
  peers: WarpPeer[];
}

/** `account` of a device object. `license` is a secret. */
export interface WarpAccountInfo {
  id?: string;
  account_type?: string;
  license?: string;
  warp_plus?: boolean;
  premium_data?: number;
  quota?: number;
}

/** The device object (POST /reg response, GET /reg/<id>). `token` only comes back from POST. */
export interface WarpDevice {
  id: string;
  token?: string;
  key?: string;
  name?: string;
  account: WarpAccountInfo;
  config: WarpDeviceConfig;
}

/**
 * A registered device as privroute keeps it (table warp_accounts). `token` and
 * `privateKey` are secrets: the logger redacts those field names, and they are
 * never put in argv.
 */
export interface WarpAccountRecord {
  deviceId: string;
  token: string;
  privateKey: string;
  /** The WARP+ license bound to the device, or null (free account). */
  license: string | null;
  accountType: string | null;
  /** The last device object seen from the API (its `token` field removed). */
  device: WarpDevice;
  createdAt: string;
  active: boolean;
}
