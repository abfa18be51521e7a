/**
 * Stand-in for a rented VPS: a lab network namespace with a real OpenSSH server
 * (src/lab/sshd.ts) and this machine's real Debian packages (v2ray), reached over
 * SSH through a relay run inside the namespace, exactly as privroute reaches a
 * VPS (SshExec, pinned host key). What differs from a real VPS, and why:
 * - no systemd: the engine runs under the `process` service manager;
 * - the filesystem is this machine's: privroute's files go under `root`
 *   (a private dir in the lab scope) instead of /etc, /run, /var/log; use
 *   `vpsLayout(root)` for the VPS layout.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SshExec } from '../../host/ssh.js';
import { spawnArgv } from '../../host/local.js';
import { vpsLayout } from '../../xray/vps/layout.js';
import type { Scope } from '../harness/scope.js';
import { netnsProxyCommand, startSshd, type LabSshd } from '../sshd.js';

/** A running lab VPS. */
export interface LabVps {
  sshd: LabSshd;
  /** Namespace name. */
  ns: string;
  /** The VPS's public address (what clients dial, the certificate's SAN). */
  address: string;
  /** Root under which privroute's VPS files live. */
  root: string;
  /** A new SshExec to the VPS; `hostKey` overrides the pinned fingerprint (tests of a changed key). */
  ssh(hostKey?: string | null): SshExec;
}

/** Start sshd in the existing namespace `ns` whose public address is `address`. */
export async function startLabVps(scope: Scope, ns: string, address: string): Promise<LabVps> {
  const sshd = await startSshd(scope, { ns, name: 'vps-sshd' });
  const root = path.join(scope.dir, 'vps-root');
  for (const d of ['etc', 'run', 'var/log', 'usr/local/bin']) mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
  // The engine is started by privroute over SSH (start-stop-daemon), not by the
  // harness: stop it by its pidfile when the scope closes, even if a test failed.
  const pidFile = vpsLayout(root).pidFile;
  scope.defer('vps engine', async () => {
    await spawnArgv('local', ['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--pidfile', pidFile, '--retry', 'TERM/3/KILL/2', '--remove-pidfile'], { okCodes: [0, 1, 2, 3] }).catch(() => undefined);
  });
  const opened: SshExec[] = [];
  scope.defer('vps ssh connections', async () => {
    await Promise.all(opened.map((e) => e.close().catch(() => undefined)));
  });
  return {
    sshd,
    ns,
    address,
    root,
    ssh(hostKey?: string | null) {
      const e = new SshExec({
        host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile,
        hostKey: hostKey === undefined ? sshd.hostKeyFingerprint : hostKey, proxyCommand: netnsProxyCommand(ns),
      });
      opened.push(e);
      return e;
    },
  };
}
