/**
 * SSH connection errors and host key fingerprints, kept apart from the executor
 * so the messages (what the user reads when a VPS connection fails) are easy to
 * read and test.
 */
import { createHash } from 'node:crypto';
import { OperationError } from '../core/errors.js';

/** OpenSSH-style fingerprint of a wire-format public key blob: `SHA256:` + unpadded base64, as `ssh-keygen -lf` prints. */
export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** Canonical form of a pinned fingerprint (`SHA256:<43 base64 chars>`), or null when it is not one. */
export function normalizeFingerprint(s: string): string | null {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(s.trim());
  return m ? `SHA256:${m[1]}` : null;
}

/** Why a connection failed. */
export type SshFailure =
  | 'refused' | 'unreachable' | 'timeout' | 'auth' | 'hostkey-unknown' | 'hostkey-changed' | 'key-file' | 'proxy' | 'closed' | 'other';

/** An SSH connection could not be set up. `seen`/`expected` are fingerprints for host key failures. */
export class SshConnectError extends OperationError {
  constructor(
    readonly kind: SshFailure,
    message: string,
    opts: { hint?: string; cause?: unknown; seen?: string; expected?: string } = {},
  ) {
    super('ssh', message, { hint: opts.hint, cause: opts.cause });
    this.seen = opts.seen;
    this.expected = opts.expected;
  }
  readonly seen?: string;
  readonly expected?: string;
}

/** Where we connect, for messages. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

const keyscan = (ep: SshEndpoint) => `ssh-keyscan -p ${ep.port} ${ep.host} | ssh-keygen -lf -`;

/** No pin configured: refuse, show what the server presented and how to pin it. */
export function unknownHostKey(ep: SshEndpoint, seen: string): SshConnectError {
  return new SshConnectError('hostkey-unknown',
    `refusing ${ep.host}:${ep.port}: its host key is not pinned; the server presented ${seen} (expected: no fingerprint configured)`, {
      seen,
      hint: `check the key out of band (on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub; from here: ${keyscan(ep)}), then pin it: vps.ssh.host_key = "${seen}"`,
    });
}

/** Pin mismatch: refuse, show both fingerprints. */
export function changedHostKey(ep: SshEndpoint, seen: string, expected: string): SshConnectError {
  return new SshConnectError('hostkey-changed',
    `refusing ${ep.host}:${ep.port}: HOST KEY CHANGED — the server presented ${seen}, but ${expected} is pinned (a man-in-the-middle, or the server was reinstalled)`, {
      seen,
      expected,
      hint: `if the server was legitimately reinstalled, verify the new key (${keyscan(ep)}) and update vps.ssh.host_key`,
    });
}

/** Map an ssh2/socket error (plus proxy stderr, if any) to a clear SshConnectError. */
export function classify(ep: SshEndpoint, e: Error & { level?: string; code?: string }, keyFile: string, proxyStderr = ''): SshConnectError {
  const where = `${ep.host}:${ep.port}`;
  const text = `${e.code ?? ''} ${e.message} ${proxyStderr}`;
  if (e.level === 'client-authentication') {
    return new SshConnectError('auth', `${where} refused authentication for user ${ep.user} with the key in ${keyFile}`, {
      cause: e,
      hint: `add the public key (${keyFile}.pub, or ssh-keygen -y -f ${keyFile}) to ~${ep.user}/.ssh/authorized_keys on the server, and check the user name`,
    });
  }
  if (/ECONNREFUSED|Connection refused/.test(text)) {
    return new SshConnectError('refused', `connection to ${where} refused (nothing listens on port ${ep.port})`, {
      cause: e, hint: `check that sshd runs on ${ep.host} and listens on port ${ep.port} (vps.ssh.port)`,
    });
  }
  if (/EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|No route to host|Network is unreachable|client-dns/.test(text + (e.level ?? ''))) {
    return new SshConnectError('unreachable', `${where} is unreachable: ${(proxyStderr || e.message).trim()}`, {
      cause: e, hint: `check the address (vps.ssh.host) and that this machine has a route to it`,
    });
  }
  if (e.level === 'client-timeout' || /ETIMEDOUT|timed out/i.test(text)) {
    return new SshConnectError('timeout', `timed out connecting to ${where} (no SSH handshake)`, {
      cause: e, hint: `check that ${ep.host}:${ep.port} is an SSH server and that no firewall drops the connection`,
    });
  }
  if (proxyStderr) {
    return new SshConnectError('proxy', `proxy command for ${where} failed: ${proxyStderr.trim()}`, { cause: e });
  }
  return new SshConnectError('other', `SSH connection to ${where} failed: ${e.message}`, { cause: e });
}
