/**
 * SFTP file operations used by SshExec: an atomic write whose mode is set
 * before any byte lands, and a read. Callback APIs of ssh2 wrapped in promises.
 */
import type { SFTPWrapper } from 'ssh2';

/** Bytes per SFTP write request (under every server's packet limit). */
const MAX_CHUNK = 32 * 1024;

/** Promisify one node-style callback call. */
export function cb<T>(fn: (done: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/**
 * Write `data` to `file` through the temp name `tmp` (same directory): open with
 * O_CREAT|O_EXCL and `mode`, fchmod to `mode` (the server's umask may have
 * narrowed it; nothing can widen it), write in chunks, fsync when the server has
 * fsync@openssh.com, close, then posix-rename@openssh.com over `file` (atomic).
 * Without posix-rename, SFTPv3 rename refuses an existing target, so the target
 * is removed first — not atomic, and only used on servers lacking the extension.
 * The caller removes `tmp` on failure.
 */
export async function sftpWriteAtomic(sftp: SFTPWrapper, file: string, tmp: string, data: Buffer, mode: number): Promise<void> {
  const handle = await cb<Buffer>((d) => sftp.open(tmp, 'wx', { mode }, d));
  try {
    await cb((d) => sftp.fchmod(handle, mode, d));
    for (let off = 0; off < data.length; off += MAX_CHUNK) {
      const len = Math.min(MAX_CHUNK, data.length - off);
      await cb((d) => sftp.write(handle, data, off, len, off, d));
    }
    await cb((d) => sftp.ext_openssh_fsync(handle, d)).catch(() => undefined); // optional extension
  } finally {
    await cb((d) => sftp.close(handle, d));
  }
  try {
    await cb((d) => sftp.ext_openssh_rename(tmp, file, d));
  } catch (e) {
    if (!/does not support/.test((e as Error).message)) throw e;
    await sftpUnlinkQuiet(sftp, file);
    await cb((d) => sftp.rename(tmp, file, d));
  }
}

/** Read a whole remote file. */
export function sftpRead(sftp: SFTPWrapper, file: string): Promise<Buffer> {
  return cb<Buffer>((d) => sftp.readFile(file, d));
}

/** Remove a remote file, ignoring errors (cleanup paths). */
export async function sftpUnlinkQuiet(sftp: SFTPWrapper, file: string): Promise<void> {
  await cb((d) => sftp.unlink(file, d)).catch(() => undefined);
}
