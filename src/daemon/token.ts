/**
 * The status endpoint's bearer token: read from daemon.token_file, which must be
 * a regular file readable by its owner only (0600/0400). A group- or
 * world-readable file is refused (the daemon does not start), as is an empty one.
 * Comparison is constant-time.
 */
import { readFileSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { PreconditionError } from '../core/errors.js';

/** Read and check the token file. Throws PreconditionError naming the file and the fix. */
export function readTokenFile(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new PreconditionError(`daemon.token_file ${file} cannot be read: ${(e as Error).message}`, `create it: umask 077; head -c 32 /dev/urandom | base64 > ${file}`);
  }
  if (!st.isFile()) throw new PreconditionError(`daemon.token_file ${file} is not a regular file`, 'point daemon.token_file at a file holding the token');
  if ((st.mode & 0o077) !== 0) {
    throw new PreconditionError(`daemon.token_file ${file} is accessible by group/others (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${file}`);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (!token) throw new PreconditionError(`daemon.token_file ${file} is empty`, `write a random token into it: head -c 32 /dev/urandom | base64 > ${file}`);
  return token;
}

/** Does the Authorization header carry `Bearer <token>`? Constant-time in the token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
