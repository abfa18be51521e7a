/**
 * The IO of one CLI run (streams and environment) and its attachment to the
 * root commander program. Kept apart from context.ts so the program can be built
 * without loading the config, the logger or the state store (start-up time).
 */
import type { Command } from 'commander';

/** Streams and environment one CLI run writes to and reads (injectable for tests). */
export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const ioByRoot = new WeakMap<Command, CliIo>();

/** Attach the IO of one run to the root program (done by `run()`). */
export function attachIo(program: Command, io: CliIo): void {
  ioByRoot.set(program, io);
}

/** The IO attached to `cmd`'s root program, else the process's own. */
export function ioOf(cmd: Command): CliIo {
  let c = cmd;
  while (c.parent) c = c.parent;
  return ioByRoot.get(c) ?? { out: process.stdout, err: process.stderr, env: process.env };
}
