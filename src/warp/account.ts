/**
 * Registering a WARP device end to end: key, POST /reg, name, optional WARP+
 * license, read back the config, store. Every API step runs before the store is
 * written; if a step after POST /reg fails, the new device is deleted again
 * (best effort) so Cloudflare is not left with an orphan and the store with a
 * half-made row.
 */
import type { Logger } from 'pino';

import type { StateStore } from '../state/store.js';
import { LicenseRejectedError, type WarpApi } from './api.js';
import { insertAccount } from './account-store.js';
import { generateKeyPair } from './keys.js';
import type { WarpAccountRecord } from './types.js';

/** Options for {@link registerDevice}. */
export interface RegisterOptions {
  /** Device name shown in the account (PATCH account/reg). Default `privroute-<host>`. */
  name?: string;
  /** WARP+ license to bind, or null. */
  license?: string | null;
  /** Store the row as the active device. Default true. */
  activate?: boolean;
  logger?: Logger;
}

/** The outcome: the stored record and, if the license was refused, why (the device is then free). */
export interface RegisterResult {
  account: WarpAccountRecord;
  licenseError?: LicenseRejectedError;
}

/** Register a new device with a fresh key and store it. See the module comment for failure handling. */
export async function registerDevice(api: WarpApi, store: StateStore | null, opts: RegisterOptions = {}): Promise<RegisterResult> {
  const kp = generateKeyPair();
  const reg = await api.register(kp.publicKey);
  const token = reg.token;
  try {
    await api.setName(reg.id, token, opts.name ?? 'privroute', true);
    let licenseError: LicenseRejectedError | undefined;
    let license: string | null = null;
    if (opts.license) {
      try {
        await api.bindLicense(reg.id, token, opts.license);
        license = opts.license;
      } catch (e) {
        if (!(e instanceof LicenseRejectedError)) throw e;
        // The free account stays usable: keep going without the license.
        licenseError = e;
        opts.logger?.warn({ err: e }, 'WARP+ license rejected; device stays a free account');
      }
    }
    const device = await api.getDevice(reg.id, token);
    const account: WarpAccountRecord = {
      deviceId: reg.id,
      token,
      privateKey: kp.privateKey,
      license,
      accountType: device.account.account_type ?? null,
      device,
      createdAt: new Date().toISOString(),
      active: opts.activate ?? true,
    };
    if (store) insertAccount(store, account);
    opts.logger?.info({ device: reg.id, accountType: account.accountType }, 'WARP device registered');
    return licenseError ? { account, licenseError } : { account };
  } catch (e) {
    await api.deleteDevice(reg.id, token).catch((d: unknown) => {
      opts.logger?.warn({ err: d, device: reg.id }, 'could not delete the half-registered WARP device');
    });
    throw e;
  }
}
