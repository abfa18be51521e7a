/**
 * A FakeHostExec seen through a batching executor, as SshExec is: `runBatch`
 * answers every argv from the fake the way the remote shell would (a `cat --
 * <path>` reads the fake's file), and counts round trips: `batches` for batched
 * ones, `direct` for every run/readFile/writeFile that went around the batch.
 */
import { ExecError, type HostExec, type RunResult } from '../../src/host/exec.js';
import type { BatchRunner } from '../../src/host/batch.js';
import type { FakeHostExec } from '../../src/host/fake.js';

const ANY = Array.from({ length: 256 }, (_, i) => i);

/** The batching view of `fake`. */
export function batching<S>(fake: FakeHostExec<S>): HostExec & BatchRunner & { batches: number; direct: number } {
  const one = async (argv: readonly string[]): Promise<RunResult> => {
    if (argv[0] === 'cat' && argv[1] === '--' && argv.length === 3) {
      return fake.readFile(argv[2]!).then(
        (b) => ({ stdout: b.toString('utf8'), stderr: '', code: 0 }),
        () => ({ stdout: '', stderr: `cat: ${argv[2]}: No such file or directory\n`, code: 1 }),
      );
    }
    return fake.run(argv, { okCodes: ANY }).catch((e: ExecError) => ({ stdout: e.stdout, stderr: e.stderr, code: e.status ?? 127 }));
  };
  const v = {
    target: fake.target,
    batches: 0,
    direct: 0,
    async runBatch(commands: readonly (readonly string[])[]): Promise<RunResult[]> {
      v.batches++;
      const out: RunResult[] = [];
      for (const argv of commands) out.push(await one(argv)); // in turn, like the remote shell
      return out;
    },
    run(argv: readonly string[], o?: Parameters<HostExec['run']>[1]) {
      v.direct++;
      return fake.run(argv, o);
    },
    readFile(p: string) {
      v.direct++;
      return fake.readFile(p);
    },
    writeFile(p: string, c: string | Buffer, m: number) {
      v.direct++;
      return fake.writeFile(p, c, m);
    },
  };
  return v;
}
