/**
 * WarpApi: the calls of Cloudflare's WARP device API that privroute uses, as wgcf
 * makes them (see shared/reference/warp-api.md, "Calls"). Thin: each method is one
 * HTTP call through {@link WarpHttp} plus a shape check. No state is kept here.
 *
 * Secrets (the bearer token, licenses) travel only in headers/bodies, never in a
 * log line: the transport logs call names with `/reg/<id>` masked and no bodies.
 */
import { OperationError } from '../core/errors.js';
import { WarpHttp, type WarpHttpOptions } from './http.js';
import { asDevice } from './validate.js';
import type { WarpAccountInfo, WarpDevice } from './types.js';

/** Registration body fields wgcf sends, plus warp-plus's `warp_enabled`. */
export function registrationBody(publicKey: string, now: Date = new Date()): Record<string, unknown> {
  return {
    key: publicKey,
    install_id: '',
    fcm_token: '',
    tos: now.toISOString(),
    type: 'Android',
    model: 'PC',
    locale: 'en_US',
    warp_enabled: true,
  };
}

/** A license the API refused. The device it was tried on keeps working as a free account. */
export class LicenseRejectedError extends OperationError {
  constructor(message: string, cause?: unknown) {
    super('warp-license', message, {
      cause,
      hint: 'check the WARP+ key in warp.license_file (copy it again from the 1.1.1.1 app: Account > Key; a key binds at most 5 devices). The free account keeps working meanwhile',
    });
  }
}

const enc = encodeURIComponent;

/** Client for the device API. `close()` when done. */
export class WarpApi {
  readonly http: WarpHttp;
  constructor(opts: WarpHttpOptions | WarpHttp) {
    this.http = opts instanceof WarpHttp ? opts : new WarpHttp(opts);
  }

  close(): void {
    this.http.close();
  }

  /** POST /reg: register `publicKey` as a new device. Returns the device with its `token`. */
  async register(publicKey: string): Promise<WarpDevice & { token: string }> {
    const r = await this.http.request('POST', '/reg', { body: registrationBody(publicKey) });
    return asDevice('POST /reg', r.json, true) as WarpDevice & { token: string };
  }

  /** GET /reg/<id>: the device's current config. */
  async getDevice(id: string, token: string): Promise<WarpDevice> {
    const r = await this.http.request('GET', `/reg/${enc(id)}`, { token });
    return asDevice('GET /reg/<id>', r.json, false);
  }

  /** PATCH /reg/<id>/account/reg/<id> `{name, active}`: name (and activate) the device. */
  async setName(id: string, token: string, name: string, active = true): Promise<void> {
    await this.http.request('PATCH', `/reg/${enc(id)}/account/reg/${enc(id)}`, { token, body: { name, active } });
  }

  /**
   * PUT /reg/<id>/account `{license}`: bind a WARP+ license. A 4xx answer becomes
   * {@link LicenseRejectedError}; the device is untouched by the API in that case.
   */
  async bindLicense(id: string, token: string, license: string): Promise<WarpAccountInfo> {
    try {
      const r = await this.http.request('PUT', `/reg/${enc(id)}/account`, { token, body: { license } });
      return (r.json ?? {}) as WarpAccountInfo;
    } catch (e) {
      const m = e instanceof OperationError ? /HTTP (4\d\d)[^\n]*/.exec(e.message) : null;
      if (m && m[1] !== '429') throw new LicenseRejectedError(`the API rejected the WARP+ license: ${m[0]}`, e);
      throw e;
    }
  }

  /** GET /reg/<id>/account: account type and quota. */
  async getAccount(id: string, token: string): Promise<WarpAccountInfo> {
    const r = await this.http.request('GET', `/reg/${enc(id)}/account`, { token });
    if (typeof r.json !== 'object' || r.json === null) {
      throw new OperationError('warp-api', 'GET /reg/<id>/account: response is not an account object');
    }
    return r.json as WarpAccountInfo;
  }

  /** PATCH /reg/<id> `{key}`: replace the device's public key. Returns the updated device. */
  async rotateKey(id: string, token: string, publicKey: string): Promise<WarpDevice> {
    const r = await this.http.request('PATCH', `/reg/${enc(id)}`, { token, body: { key: publicKey } });
    return asDevice('PATCH /reg/<id>', r.json, false);
  }

  /** DELETE /reg/<id>: delete the device. */
  async deleteDevice(id: string, token: string): Promise<void> {
    await this.http.request('DELETE', `/reg/${enc(id)}`, { token });
  }
}
