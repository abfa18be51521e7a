/**
 * Issue 11 item 17: bad input is exit 2 whatever the state. Arguments are
 * validated before the config's store is looked at, so a command with a bad
 * argument on a node without a state store (before `init`) says what is wrong
 * with the argument (exit 2), not "no state store" (exit 1). One case per
 * command class; nothing is created in the state dir.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/program.js';
import { memoryIo } from './_io.js';

const SEED = fileURLToPath(new URL('../../fixtures/config/seed.json', import.meta.url));
const base = mkdtempSync(path.join(tmpdir(), 'prinput-'));
test.after.always(() => rmSync(base, { recursive: true, force: true }));

const CASES: { cls: string; argv: string[]; names: RegExp }[] = [
  { cls: 'client mutation: add-client NAME', argv: ['add-client', 'a;b'], names: /NAME: got "a;b"/ },
  { cls: 'client mutation: add-client --expires', argv: ['add-client', 'alice', '--expires', 'someday'], names: /--expires/ },
  { cls: 'client mutation: add-client --dns', argv: ['add-client', 'alice', '--dns', '1.2.3'], names: /--dns/ },
  { cls: 'client mutation: revoke-client NAME', argv: ['revoke-client', 'a;b'], names: /NAME: got "a;b"/ },
  { cls: 'client mutation: disable-client NAME', argv: ['disable-client', 'A B'], names: /NAME: got "A B"/ },
  { cls: 'client mutation: enable-client NAME', argv: ['enable-client', '../x'], names: /NAME: got "\.\.\/x"/ },
  { cls: 'client read: show-client NAME', argv: ['show-client', 'a;b'], names: /NAME: got "a;b"/ },
  { cls: 'rotation: rotate <what>', argv: ['rotate', 'bogus'], names: /rotate <what>: got "bogus"/ },
  { cls: 'daemon: --listen', argv: ['daemon', '--listen', 'nowhere'], names: /listen: got "nowhere"/ },
  { cls: 'status: --warp-trace-url', argv: ['status', '--warp-trace-url', 'file:///etc/shadow'], names: /--warp-trace-url: got "file:\/\/\/etc\/shadow"/ },
];

for (const c of CASES) {
  test(`before init, bad input is exit 2 (${c.cls})`, async (t) => {
    const stateDir = path.join(base, `s-${CASES.indexOf(c)}`);
    const io = memoryIo();
    const code = await run(['--config', SEED, '--state-dir', stateDir, ...c.argv], io);
    t.is(code, 2, io.err.text);
    t.regex(io.err.text, c.names);
    t.notRegex(io.err.text, /no state store/);
    t.false(existsSync(stateDir), 'nothing created');
  });
}
