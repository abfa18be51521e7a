/**
 * The status endpoint's bearer token: read from daemon.token_file, which must be
 * a regular file readable by its owner only (0600/0400). A group- or
 * world-readable file is refused (the daemon does not start), as is an empty one.
 * Without daemon.token_file the daemon makes one in the state directory (a token
 * is required on every address, loopback included). Comparison is constant-time.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readSecretFile } from '../core/secret-file.js';

/** Read and check the token file. Throws PreconditionError naming the file and the fix. */
export function readTokenFile(file: string): string {
  return readSecretFile(file, 'daemon.token_file', `create it: umask 077; head -c 32 /dev/urandom | base64 > ${file}`);
}

/** Does the Authorization header carry `Bearer <token>`? Constant-time in the token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token file the daemon makes when daemon.token_file is not set. */
export const DEFAULT_TOKEN_FILE = 'daemon.token';

/**
 * The token in `<stateDir>/daemon.token`, created (32 random bytes, base64url,
 * mode 0600) when absent. An existing file is checked like daemon.token_file.
 * Returns the token and the file (the file name is logged, never the token).
 */
export async function ensureTokenFile(stateDir: string): Promise<{ token: string; file: string }> {
  const file = path.join(stateDir, DEFAULT_TOKEN_FILE);
  try {
    // 'wx': two daemons starting at once never overwrite each other's token.
    const fh = await open(file, 'wx', 0o600);
    try {
      await fh.writeFile(randomBytes(32).toString('base64url') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return { token: readTokenFile(file), file };
}
