/**
 * NetnsExec: runs argv inside a named network namespace (`ip netns exec NS argv...`).
 * Used by the netns container runtime and by the lab. Files are written on the
 * shared filesystem (a netns shares the mount namespace), atomically.
 */
import { promises as fs } from 'node:fs';
import { ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';
import { spawnArgv, writeFileAtomic } from './local.js';

/** Valid namespace names: what `ip netns add` accepts without surprises. */
const NS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Runs commands in the network namespace `name` (must already exist). */
export class NetnsExec implements HostExec {
  readonly target: string;
  constructor(readonly name: string) {
    if (!NS_NAME.test(name)) throw new Error(`invalid network namespace name ${JSON.stringify(name)}`);
    this.target = `netns:${name}`;
  }
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const prefix = ['ip', 'netns', 'exec', this.name];
    // Shift secret indexes past the prefix so masking still hits the right element.
    const secretArgs = opts.secretArgs?.map((i) => i + prefix.length);
    return spawnArgv(this.target, [...prefix, ...argv], { ...opts, secretArgs }).catch((e: unknown) => {
      throw e instanceof ExecError
        ? new ExecError({
            target: this.target,
            argv,
            secretArgs: opts.secretArgs,
            code: e.status,
            reason: e.message.split('\n')[0]!.replace(/^.* failed: /, ''),
            stdout: e.stdout,
            stderr: e.stderr,
            cause: e,
          })
        : e;
    });
  }
  writeFile(file: string, content: string | Buffer, mode: number): Promise<void> {
    return writeFileAtomic(file, content, mode);
  }
  readFile(file: string): Promise<Buffer> {
    return fs.readFile(file);
  }
}
