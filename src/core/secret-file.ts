/**
 * The one check for secrets kept in files that only their owner may read
 * (0600/0400): the daemon's bearer token, the Netmaker enrollment token and
 * master key, the WARP+ licence and wgcf profile. A group/world-accessible,
 * missing, non-regular or empty file is refused with the config key, the file
 * and the fix. Never returns or prints anything else of the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { PreconditionError } from './errors.js';

/** Why a secret file cannot be used, and how to fix it. */
export interface SecretFileProblem {
  problem: string;
  fix: string;
}

/**
 * The file's problem as a secret file (read-only: stat only), or null when it
 * is a regular file no group or other can access. `create` is the fix for a
 * missing file.
 */
export function secretFileProblem(file: string, create = 'create it with mode 0600 (umask 077) and the secret inside'): SecretFileProblem | null {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    return { problem: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, fix: create };
  }
  if (!st.isFile()) return { problem: 'is not a regular file', fix: 'point the key at a file holding the secret' };
  if ((st.mode & 0o077) !== 0) return { problem: `is accessible by group/others (mode ${(st.mode & 0o777).toString(8)})`, fix: `chmod 600 ${file}` };
  return null;
}

/**
 * Read, check and trim the secret in `file`; `key` names the config key in
 * errors, `create` is the fix for a missing or empty file. Throws PreconditionError.
 */
export function readSecretFile(file: string, key: string, create?: string): string {
  const p = secretFileProblem(file, create);
  if (p) throw new PreconditionError(`${key} ${file} ${p.problem}`, p.fix);
  const secret = readFileSync(file, 'utf8').trim();
  if (!secret) throw new PreconditionError(`${key} ${file} is empty`, create ?? 'write the secret into it');
  return secret;
}
