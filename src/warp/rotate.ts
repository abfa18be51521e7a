/**
 * WARP rotation: a new key and a new device, the WARP+ license re-applied, the
 * tunnel taken over with minimal disruption, then the old device deleted. Used by
 * `privroute rotate warp` and by the daemon's cron schedule (same function).
 *
 * Order and failure handling (the old device keeps carrying traffic until the
 * new one has been swapped in):
 *  1. a `rotations` row is opened (a concurrent rotation younger than 15 min is refused);
 *  2. register the new device (stored inactive, so a crash leaves no orphan unknown to us);
 *  3. license: if it is rejected and the old device had WARP+, abort (new device deleted,
 *     old one untouched); if the old one was free, go on with a free device and say so;
 *  4. swap: the caller's `swap` (node apply: key + peer in one UAPI set, new address
 *     before the stale one is deleted); on failure, swap back to the old device, delete the new;
 *  5. mark the new device active; delete the old one from the API and the store
 *     (a failed delete is reported, the row kept for the next rotation to retry).
 */
import type { Logger } from 'pino';
import { OperationError } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import { registerDevice } from './account.js';
import { activeAccount, deleteAccount, listAccounts, setActive } from './account-store.js';
import type { WarpApi } from './api.js';
import type { WarpAccountRecord } from './types.js';

/** What rotation needs. */
export interface RotateWarpDeps {
  api: WarpApi;
  store: StateStore;
  /** Bring the tunnel over to `account` (apply the node with its key and config). */
  swap: (account: WarpAccountRecord) => Promise<void>;
  /** License from warp.license_file; default: the license bound to the active device. */
  license?: string | null;
  /** Device name. Default `privroute`. */
  name?: string;
  logger?: Logger;
}

/** The outcome, for the CLI/daemon and the `rotations` row. No secrets. */
export interface RotateWarpResult {
  rotationId: number;
  oldDeviceId: string | null;
  newDeviceId: string;
  accountType: string | null;
  /** Set when the license was refused and the rotation went on with a free device. */
  licenseWarning?: string;
  oldDeleted: boolean;
  /** Set when deleting the old device failed (its row is kept, inactive). */
  deleteWarning?: string;
  /** Old devices left over by earlier failed deletes, deleted now. */
  cleanedUp: string[];
}

const STALE_MS = 15 * 60_000;

function openRotation(store: StateStore): number {
  return store.tx(() => {
    const running = store.db
      .prepare("SELECT id, started_at FROM rotations WHERE kind = 'warp' AND finished_at IS NULL ORDER BY id DESC LIMIT 1")
      .get() as { id: number; started_at: string } | undefined;
    if (running && Date.now() - Date.parse(running.started_at) < STALE_MS) {
      throw new OperationError('warp-rotate', `another WARP rotation (#${running.id}) started at ${running.started_at} is still running`, {
        hint: 'wait for it to finish (rotations are refused for 15 minutes after a start that did not finish)',
      });
    }
    return Number(store.db.prepare("INSERT INTO rotations(kind, started_at) VALUES('warp', ?)").run(new Date().toISOString()).lastInsertRowid);
  });
}

function closeRotation(store: StateStore, id: number, outcome: string, detail: unknown): void {
  store.db.prepare('UPDATE rotations SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?').run(new Date().toISOString(), outcome, JSON.stringify(detail), id);
}

/** Rotate the WARP device. Throws OperationError when the rotation was aborted (old device still active). */
export async function rotateWarp(d: RotateWarpDeps): Promise<RotateWarpResult> {
  const rotationId = openRotation(d.store);
  const old = activeAccount(d.store);
  const license = d.license ?? old?.license ?? null;
  const oldHadPlus = !!old && (old.license !== null || (old.accountType !== null && old.accountType !== 'free'));
  let created: WarpAccountRecord | undefined;
  const dropNew = async (): Promise<void> => {
    if (!created) return;
    await d.api.deleteDevice(created.deviceId, created.token).then(
      () => deleteAccount(d.store, created!.deviceId),
      (e: unknown) => d.logger?.warn({ err: e, device: created!.deviceId }, 'could not delete the new WARP device after an aborted rotation; kept inactive'),
    );
  };
  try {
    const reg = await registerDevice(d.api, d.store, { license, activate: false, name: d.name, logger: d.logger });
    created = reg.account;
    let licenseWarning: string | undefined;
    if (reg.licenseError) {
      if (oldHadPlus) {
        throw new OperationError('warp-rotate', `rotation aborted: ${reg.licenseError.message}; the current WARP+ device ${old!.deviceId} keeps working`, {
          cause: reg.licenseError,
          hint: reg.licenseError.hint,
        });
      }
      licenseWarning = `${reg.licenseError.message}; the new device is a free account`;
    }
    try {
      await d.swap(created);
    } catch (e) {
      if (old) await d.swap(old).catch((r: unknown) => d.logger?.error({ err: r }, 'restoring the old WARP device on the tunnel failed'));
      throw new OperationError('warp-rotate', `rotation aborted: the tunnel could not be moved to the new device: ${(e as Error).message}`, { cause: e, hint: 'the previous device was put back; run privroute status, then retry' });
    }
    setActive(d.store, created.deviceId);
    const done: RotateWarpResult = { rotationId, oldDeviceId: old?.deviceId ?? null, newDeviceId: created.deviceId, accountType: created.accountType, oldDeleted: false, cleanedUp: [] };
    if (licenseWarning) done.licenseWarning = licenseWarning;
    // Delete the previous device, and any left over by earlier failed deletes.
    for (const stale of listAccounts(d.store).filter((a) => !a.active)) {
      try {
        await d.api.deleteDevice(stale.deviceId, stale.token);
        deleteAccount(d.store, stale.deviceId);
        if (stale.deviceId === old?.deviceId) done.oldDeleted = true;
        else done.cleanedUp.push(stale.deviceId);
      } catch (e) {
        if (stale.deviceId === old?.deviceId) done.deleteWarning = `the old device could not be deleted (kept for the next rotation): ${(e as Error).message}`;
      }
    }
    closeRotation(d.store, rotationId, done.licenseWarning || done.deleteWarning ? 'ok-with-warnings' : 'ok', done);
    d.logger?.info({ rotation: rotationId, from: done.oldDeviceId, to: done.newDeviceId }, 'WARP rotation done');
    return done;
  } catch (e) {
    await dropNew();
    closeRotation(d.store, rotationId, 'failed', { error: (e as Error).message, oldDeviceId: old?.deviceId ?? null });
    throw e;
  }
}
