/**
 * Driving the real `netclient` (gravitl/netclient) through a HostExec, argv only:
 * `version` (presence), `list <network>` (JSON), `join -t <token> -I <iface> -o <name>`,
 * `leave <network>`, and the service restart argv from config.
 *
 * The token and argv: real netclient accepts the enrollment token ONLY as the
 * `-t <token>` flag (cmd/register.go, cmd/join.go: a cobra string flag; no file,
 * stdin or environment form exists). So the token is in netclient's own argv for
 * the seconds the join runs. privroute limits what that exposes: the argv
 * element is masked in every error and log (`secretArgs`), privroute's own argv
 * never carries it (it comes from a 0600 file or is minted over HTTPS), and a
 * minted key is single-use with a 10-minute expiry, so by the time anyone could
 * read it from /proc it has been consumed.
 */
import type { HostExec } from '../host/exec.js';
import { ExecError } from '../host/exec.js';
import { PreconditionError } from '../core/errors.js';
import type { EnrollmentToken } from './token.js';

/** One entry of `netclient list` (the fields privroute reads). */
export interface NetclientNetwork {
  network: string;
  node_id: string;
  connected: boolean;
  ipv4_addr: string;
  ipv6_addr: string;
  peers: unknown[];
}

/** How to install netclient (shown when it is missing). */
export const INSTALL_HINT =
  'install netclient on this node, then rerun: ' +
  'curl -sL https://apt.netmaker.org/gpg.key | gpg --dearmor -o /usr/share/keyrings/netmaker.gpg; ' +
  'echo "deb [signed-by=/usr/share/keyrings/netmaker.gpg] https://apt.netmaker.org stable main" > /etc/apt/sources.list.d/netmaker.list; ' +
  'apt-get update && apt-get install netclient (or set netmaker.netclient to its path; see https://docs.netmaker.io/netclient)';

/** The driver. */
export class Netclient {
  constructor(readonly exec: HostExec, readonly bin: string) {}

  /** Throws PreconditionError with install instructions when netclient cannot be run. Read-only. */
  async ensurePresent(): Promise<string> {
    try {
      return (await this.exec.run([this.bin, 'version'], { timeoutMs: 60_000 })).stdout.trim();
    } catch (e) {
      if (isMissingBinary(e)) throw new PreconditionError(`netclient (${this.bin}) is not installed on ${this.exec.target}`, INSTALL_HINT, e);
      throw e;
    }
  }

  /** `netclient list <network>`: the membership, or undefined when not joined. Read-only. */
  async list(network: string): Promise<NetclientNetwork | undefined> {
    const out = await this.exec.run([this.bin, 'list', network], { okCodes: [0, 1], timeoutMs: 60_000 });
    return parseList(out.stdout).find((n) => n.network === network);
  }

  /** `netclient join -t <token> -I <iface> -o <name>`; the token masked in errors. */
  async join(token: EnrollmentToken, iface: string, name: string): Promise<void> {
    await this.exec.run([this.bin, 'join', '-t', token.raw, '-I', iface, '-o', name], { secretArgs: [3], timeoutMs: 120_000 });
  }

  /** `netclient leave <network>`. */
  async leave(network: string): Promise<void> {
    await this.exec.run([this.bin, 'leave', network], { timeoutMs: 30_000 });
  }

  /** Restart the netclient service with the configured argv. */
  async restart(argv: readonly string[]): Promise<void> {
    await this.exec.run(argv, { timeoutMs: 60_000 });
  }
}

/** Parse `netclient list` output: the JSON array, tolerating log lines before it. Pure. */
export function parseList(stdout: string): NetclientNetwork[] {
  const start = stdout.indexOf('[');
  if (start < 0) return [];
  const parsed = JSON.parse(stdout.slice(start)) as unknown;
  return Array.isArray(parsed) ? (parsed as NetclientNetwork[]) : [];
}

/** Did running the binary fail because it does not exist (locally, in a netns, in a container)? */
export function isMissingBinary(e: unknown): boolean {
  if (!(e instanceof ExecError)) return false;
  const text = `${e.message}\n${e.stderr}`;
  return /ENOENT|No such file or directory|not found/i.test(text) && (e.status === null || e.status === 127 || e.status === 255 || e.status === 1);
}
