/**
 * PctExec: a HostExec for a Proxmox VE container, driven through the `pct` CLI
 * on the node (which itself is reached through an injected HostExec, so tests
 * can use the pct stand-in or a FakeHostExec).
 *
 * Facts this relies on (pve-container src/PVE/CLI/pct.pm):
 * - `pct exec <vmid> -- argv...` execs `lxc-attach -n <vmid> -- argv...`: the
 *   argv reaches the container's execve unchanged, with no shell in between.
 * - `pct push <vmid> <file> <dest> --perms <octal>` creates dest inside the
 *   container's mount (and user) namespace with O_CREAT|O_EXCL and mode 0, then
 *   chmods it before copying: the content is never readable under a wider mode.
 * - `pct pull <vmid> <path> <dest> --perms <octal>` does the same on the node.
 * - push and pull only work on a running container.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';
import { envPrefix, relabel } from './prefixed.js';

/** Options for {@link PctExec}. */
export interface PctExecOptions {
  /** Where `pct` runs: the Proxmox node (LocalExec on the node itself). */
  node: HostExec;
  /** Node-side directory for 0600 staging files. Default os.tmpdir(). */
  tmpDir?: string;
}

/** Octal mode text as pct expects it: `0600`. */
export function octal(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

function tmpName(dir: string, base: string): string {
  return path.posix.join(dir, `.${base}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Runs commands and moves files in Proxmox container `vmid`. Target `pct:<vmid>`. */
export class PctExec implements HostExec {
  readonly target: string;
  private readonly node: HostExec;
  private readonly tmpDir: string;

  constructor(readonly vmid: number, opts: PctExecOptions) {
    if (!Number.isInteger(vmid) || vmid < 100 || vmid > 999_999_999) {
      throw new Error(`invalid Proxmox vmid ${vmid} (expected an integer 100..999999999)`);
    }
    this.target = `pct:${vmid}`;
    this.node = opts.node;
    this.tmpDir = opts.tmpDir ?? tmpdir();
  }

  /** `pct exec <vmid> -- [env K=V...] argv...` on the node; stdin, timeout and okCodes pass through. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new ExecError({ target: this.target, argv, code: null, reason: 'empty argv' });
    const env = envPrefix(opts.env);
    const prefix = ['pct', 'exec', String(this.vmid), '--', ...env];
    try {
      return await this.node.run([...prefix, ...argv], {
        ...opts,
        env: undefined,
        secretArgs: opts.secretArgs?.map((i) => i + prefix.length),
      });
    } catch (e) {
      throw relabel(e, this.target, argv, opts);
    }
  }

  /**
   * Atomic write inside the container: stage `content` in a node-side 0600 file,
   * `pct push` it to a temp name next to `file` with the final mode (set before
   * any byte is copied), then `mv -f` it over `file` inside the container (a
   * rename within one directory). The node-side staging file is always removed;
   * the container-side temp is removed if the push or the rename fails.
   */
  async writeFile(file: string, content: string | Buffer, mode: number): Promise<void> {
    if (!path.posix.isAbsolute(file)) throw new Error(`PctExec.writeFile needs an absolute path, got ${JSON.stringify(file)}`);
    const staged = tmpName(this.tmpDir, 'privroute-pct-push');
    const remoteTmp = tmpName(path.posix.dirname(file), path.posix.basename(file));
    const vmid = String(this.vmid);
    try {
      await this.node.writeFile(staged, content, 0o600);
      try {
        // pct creates remoteTmp before copying: a failed copy (full disk) leaves it half-written.
        await this.node.run(['pct', 'push', vmid, staged, remoteTmp, '--perms', octal(mode)]);
        await this.node.run(['pct', 'exec', vmid, '--', 'mv', '-f', remoteTmp, file]);
      } catch (e) {
        await this.node.run(['pct', 'exec', vmid, '--', 'rm', '-f', remoteTmp]).catch(() => undefined);
        throw e;
      }
    } catch (e) {
      throw relabel(e, this.target, ['write', file], {});
    } finally {
      await this.node.run(['rm', '-f', staged]).catch(() => undefined);
    }
  }

  /** Read a container file: `pct pull` into a node-side 0600 file, read it, remove it. */
  async readFile(file: string): Promise<Buffer> {
    const staged = tmpName(this.tmpDir, 'privroute-pct-pull');
    try {
      await this.node.run(['pct', 'pull', String(this.vmid), file, staged, '--perms', '0600']);
      return await this.node.readFile(staged);
    } catch (e) {
      throw relabel(e, this.target, ['read', file], {});
    } finally {
      await this.node.run(['rm', '-f', staged]).catch(() => undefined);
    }
  }
}
