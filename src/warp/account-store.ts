/**
 * Persistence of WARP devices in the state store (table warp_accounts, migration 1).
 * Exactly one row is active: the device the tunnel uses. Rows are written only
 * after every API call of a step succeeded, so a failed step leaves no partial row.
 */
import type { StateStore } from '../state/store.js';
import type { WarpAccountRecord, WarpDevice } from './types.js';

interface Row {
  device_id: string;
  token: string;
  private_key: string;
  license: string | null;
  account_type: string | null;
  config_json: string;
  created_at: string;
  active: number;
}

function fromRow(r: Row): WarpAccountRecord {
  return {
    deviceId: r.device_id,
    token: r.token,
    privateKey: r.private_key,
    license: r.license,
    accountType: r.account_type,
    device: JSON.parse(r.config_json) as WarpDevice,
    createdAt: r.created_at,
    active: r.active === 1,
  };
}

/** Strip the token from a device object before it is stored as JSON (the token has its own column). */
function deviceJson(d: WarpDevice): string {
  const { token: _t, ...rest } = d;
  return JSON.stringify(rest);
}

/** Insert a new device row. `active` rows demote any other active row in the same transaction. */
export function insertAccount(store: StateStore, rec: Omit<WarpAccountRecord, 'createdAt'> & { createdAt?: string }): void {
  store.tx(() => {
    if (rec.active) store.db.prepare('UPDATE warp_accounts SET active = 0 WHERE active = 1').run();
    store.db
      .prepare(
        `INSERT INTO warp_accounts(device_id, token, private_key, license, account_type, config_json, created_at, active)
         VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(rec.deviceId, rec.token, rec.privateKey, rec.license, rec.accountType, deviceJson(rec.device), rec.createdAt ?? new Date().toISOString(), rec.active ? 1 : 0);
  });
}

/** The active device, or undefined. */
export function activeAccount(store: StateStore): WarpAccountRecord | undefined {
  const r = store.db.prepare('SELECT * FROM warp_accounts WHERE active = 1').get() as Row | undefined;
  return r && fromRow(r);
}

/** One device by id. */
export function getAccount(store: StateStore, deviceId: string): WarpAccountRecord | undefined {
  const r = store.db.prepare('SELECT * FROM warp_accounts WHERE device_id = ?').get(deviceId) as Row | undefined;
  return r && fromRow(r);
}

/** Every stored device, oldest first. */
export function listAccounts(store: StateStore): WarpAccountRecord[] {
  return (store.db.prepare('SELECT * FROM warp_accounts ORDER BY created_at, rowid').all() as Row[]).map(fromRow);
}

/** Make `deviceId` the only active device (one transaction). Throws if it does not exist. */
export function setActive(store: StateStore, deviceId: string): void {
  store.tx(() => {
    const hit = store.db.prepare('SELECT 1 FROM warp_accounts WHERE device_id = ?').get(deviceId);
    if (!hit) throw new Error(`no WARP device ${deviceId} in the state store`);
    store.db.prepare('UPDATE warp_accounts SET active = 0 WHERE active = 1 AND device_id <> ?').run(deviceId);
    store.db.prepare('UPDATE warp_accounts SET active = 1 WHERE device_id = ?').run(deviceId);
  });
}

/** Remove a device row (after the API deleted the device). */
export function deleteAccount(store: StateStore, deviceId: string): void {
  store.db.prepare('DELETE FROM warp_accounts WHERE device_id = ?').run(deviceId);
}
