/**
 * Registering a WARP device end to end: key, POST /reg, then name, optional
 * WARP+ licence, read back the config. POST /reg is not idempotent (each call is
 * a new device, and a WARP+ licence has few device slots), so it is never
 * retried once sent (http.ts), and the row is stored *right after it*, marked
 * "setup pending": if a later call fails, the device is neither lost nor
 * deleted, and the next run finishes the setup of that same device
 * ({@link finishSetup}) instead of registering another.
 */
import type { Logger } from 'pino';

import type { StateStore } from '../state/store.js';
import { LicenseRejectedError, type WarpApi } from './api.js';
import { insertAccount, updateAccount } from './account-store.js';
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

/** The kv key marking a stored device whose setup (name, licence, read-back) is not finished. */
function pendingKey(deviceId: string): string {
  return `warp.setup_pending.${deviceId}`;
}

/** True when the stored device `deviceId` still needs {@link finishSetup}. Read-only. */
export function setupPending(store: StateStore, deviceId: string): boolean {
  return store.getKv(pendingKey(deviceId)) !== undefined;
}

/**
 * Register a new device with a fresh key: POST /reg, store the row at once
 * (setup pending), then {@link finishSetup}. A failure after POST /reg leaves the
 * row (and the device) for the next run; see the module comment.
 */
export async function registerDevice(api: WarpApi, store: StateStore | null, opts: RegisterOptions = {}): Promise<RegisterResult> {
  const kp = generateKeyPair();
  const reg = await api.register(kp.publicKey);
  const account: WarpAccountRecord = {
    deviceId: reg.id,
    token: reg.token,
    privateKey: kp.privateKey,
    license: null,
    accountType: reg.account.account_type ?? null,
    device: reg,
    createdAt: new Date().toISOString(),
    active: opts.activate ?? true,
  };
  if (store) {
    store.tx(() => {
      insertAccount(store, account);
      store.setKv(pendingKey(account.deviceId), new Date().toISOString());
    });
  }
  opts.logger?.info({ device: reg.id }, 'WARP device registered; finishing its setup');
  return finishSetup(api, store, account, opts);
}

/**
 * Finish a registered device's setup: name it, bind the licence (a refused one
 * leaves a working free device, reported), read the device back, update the row
 * and clear the pending mark. Idempotent: safe to run again after a failure.
 */
export async function finishSetup(api: WarpApi, store: StateStore | null, account: WarpAccountRecord, opts: RegisterOptions = {}): Promise<RegisterResult> {
  const { deviceId: id, token } = account;
  await api.setName(id, token, opts.name ?? 'privroute', true);
  let licenseError: LicenseRejectedError | undefined;
  let license: string | null = account.license;
  if (opts.license && opts.license !== account.license) {
    try {
      await api.bindLicense(id, token, opts.license);
      license = opts.license;
    } catch (e) {
      if (!(e instanceof LicenseRejectedError)) throw e;
      // The free account stays usable: keep going without the license.
      licenseError = e;
      opts.logger?.warn({ err: e }, 'WARP+ license rejected; device stays a free account');
    }
  }
  const device = await api.getDevice(id, token);
  const done: WarpAccountRecord = { ...account, license, accountType: device.account.account_type ?? null, device };
  if (store) {
    store.tx(() => {
      updateAccount(store, id, { device, license, accountType: done.accountType });
      store.db.prepare('DELETE FROM kv WHERE key = ?').run(pendingKey(id));
    });
  }
  opts.logger?.info({ device: id, accountType: done.accountType }, 'WARP device set up');
  return licenseError ? { account: done, licenseError } : { account: done };
}
