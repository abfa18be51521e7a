/**
 * A real OpenSSH server inside a lab network namespace (the lab's "VPS", and
 * the SSH executor's integration tests). Everything lives in a private dir under
 * the scope dir: its own ed25519 host key, a client key pair, authorized_keys,
 * sshd_config and pid file. Stopped (by pid) and removed when the scope closes.
 *
 * sshd needs `/run/sshd` (its privilege-separation dir, compiled in); it is
 * created if missing and left in place, as the openssh-server package does.
 */
import { tcpRelayArgv } from '../host/relay.js';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../host/local.js';
import { NetnsExec } from '../host/netns.js';
import { startProcess, waitFor, type Proc } from './harness/process.js';
import type { Scope } from './harness/scope.js';

/** A running lab sshd. */
export interface LabSshd {
  /** Listen address inside the namespace. */
  host: string;
  port: number;
  user: 'root';
  /** Client private key (0600) authorised for root. */
  keyFile: string;
  /** `SHA256:...` of the server's host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** The namespace sshd runs in. */
  ns: string;
  /** Private dir holding keys and config. */
  dir: string;
  proc: Proc;
  /** Stop sshd (also done at scope close). */
  stop(): Promise<void>;
}

/** Options for {@link startSshd}. */
export interface SshdOptions {
  /** Network namespace to run in (must exist, lo up). */
  ns: string;
  /** Distinguishes several sshds in one scope. Default `sshd`. */
  name?: string;
  /** Default 127.0.0.1 (reach it with {@link netnsProxyCommand}). */
  listenAddress?: string;
  /** Default 22 (the namespace is private). */
  port?: number;
}

const SSHD_PATHS = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'];

/** Generate an ed25519 key pair at `file` / `file.pub` (no passphrase); returns the `SHA256:` fingerprint. */
export async function generateKey(file: string, comment: string): Promise<string> {
  await spawnArgv('local', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return fingerprintOfFile(`${file}.pub`);
}

/** `ssh-keygen -lf FILE` → the `SHA256:...` field. */
export async function fingerprintOfFile(pubFile: string): Promise<string> {
  const r = await spawnArgv('local', ['ssh-keygen', '-lf', pubFile]);
  const fp = r.stdout.split(/\s+/)[1] ?? '';
  if (!fp.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output: ${r.stdout}`);
  return fp;
}

/**
 * A ProxyCommand argv (for SshOptions.proxyCommand) that reaches `%h:%p` from
 * inside namespace `ns`: a tiny Node TCP↔stdio relay run with `ip netns exec`.
 * This lets a process in another namespace (a test runner) talk to sshd without
 * any interface in the root namespace. Connect errors go to stderr, exit 1.
 */
export function netnsProxyCommand(ns: string): readonly string[] {
  return tcpRelayArgv(['ip', 'netns', 'exec', ns]);
}

/** Start sshd in `o.ns`; resolves once it listens. */
export async function startSshd(scope: Scope, o: SshdOptions): Promise<LabSshd> {
  const name = o.name ?? 'sshd';
  if (!/^[a-z0-9-]{1,20}$/.test(name)) throw new Error(`invalid sshd name ${JSON.stringify(name)}`);
  const host = o.listenAddress ?? '127.0.0.1';
  const port = o.port ?? 22;
  const sshd = SSHD_PATHS.find((p) => existsSync(p));
  if (!sshd) throw new Error('sshd not found: install openssh-server');
  const dir = path.join(scope.dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKey = path.join(dir, 'host_ed25519');
  const keyFile = path.join(dir, 'client_ed25519');
  const hostKeyFingerprint = await generateKey(hostKey, `privroute-lab-host-${scope.prefix}`);
  await generateKey(keyFile, `privroute-lab-client-${scope.prefix}`);
  const authorized = path.join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${keyFile}.pub`), { mode: 0o600 });
  const config = path.join(dir, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${authorized}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Keys live under /run/privroute-lab with lab ownership; do not insist on ~/.ssh rules.
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    '',
  ].join('\n'), { mode: 0o600 });
  await spawnArgv('local', [sshd, '-t', '-f', config]); // config errors surface here, clearly

  const proc = await startProcess(scope, { name: `sshd-${name}`, argv: [sshd, '-D', '-e', '-f', config], ns: o.ns });
  const ns = new NetnsExec(o.ns);
  const listening = waitFor(`sshd on ${host}:${port} in ${o.ns}`, async () =>
    (await ns.run(['ss', '-Hltn', `sport = :${port}`])).stdout.trim() !== '');
  const died = proc.exited.then((code) => {
    throw new Error(`sshd exited (code ${code}) before listening:\n${proc.log()}`);
  });
  await Promise.race([listening, died]);
  died.catch(() => undefined);
  return { host, port, user: 'root', keyFile, hostKeyFingerprint, ns: o.ns, dir, proc, stop: () => proc.stop() };
}
