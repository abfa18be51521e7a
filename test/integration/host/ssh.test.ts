/**
 * SshExec against a real OpenSSH server in a private network namespace. The test
 * process (root namespace) reaches it through a relay run inside the namespace
 * (SshOptions.proxyCommand), so no interface is added to the root namespace.
 */
import test from 'ava';
import { existsSync, statSync, chmodSync, copyFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns, waitFor } from '../../../src/lab/harness/index.js';
import { startSshd, netnsProxyCommand, generateKey, type LabSshd } from '../../../src/lab/sshd.js';
import { SshExec, type SshOptions } from '../../../src/host/ssh.js';
import { SshConnectError } from '../../../src/host/ssh-errors.js';
import { ExecError } from '../../../src/host/exec.js';
import { spawnArgv } from '../../../src/host/local.js';
import { HOSTILE } from '../../unit/host/hostile-strings.js';
import { becomesGone } from './proc-gone.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('sshd', 'ssh-keygen', 'ss'));
const t0 = skip ? test.skip : test.serial;

const scope = skip ? undefined : new Scope(uniquePrefix('prs'));
let sshd: LabSshd;
let nsName = '';
const execs: SshExec[] = [];
let otherKey = '';
let otherFp = '';

function mk(over: Partial<SshOptions> = {}): SshExec {
  const e = new SshExec({
    host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile,
    hostKey: sshd.hostKeyFingerprint, proxyCommand: netnsProxyCommand(nsName), ...over,
  });
  execs.push(e);
  return e;
}

test.before(async () => {
  if (!scope) return;
  const ns = await createNetns(scope, 'vps');
  nsName = ns.name;
  sshd = await startSshd(scope, { ns: nsName });
  otherKey = path.join(scope.dir, 'other_ed25519');
  otherFp = await generateKey(otherKey, 'not-authorized');
});

test.after.always(async (t) => {
  if (!scope) return;
  for (const e of execs) await e.close();
  const pid = sshd?.proc.pid;
  await scope.close();
  // Nothing left behind: namespace, sshd process, private dir.
  const list = (await spawnArgv('local', ['ip', 'netns', 'list'])).stdout;
  t.false(list.split('\n').some((l) => l.startsWith(scope.prefix)), `namespace left: ${list}`);
  if (pid) t.true(await becomesGone(pid), 'sshd still running');
  t.false(existsSync(scope.dir), 'scope dir left');
});

t0('runs a command and returns stdout, stderr and the exit code', async (t) => {
  const ssh = mk();
  const r = await ssh.run(['sh', '-c', 'echo out; echo err >&2']);
  t.is(r.stdout, 'out\n');
  t.is(r.stderr, 'err\n');
  t.is(r.code, 0);
  t.is(ssh.target, `ssh:root@${sshd.host}:${sshd.port}`);
});

t0('hostile argv reaches the remote command unchanged', async (t) => {
  const r = await mk().run(['printf', '%s\\0', ...HOSTILE]);
  const got = r.stdout.split('\0');
  t.is(got.pop(), '');
  t.deepEqual(got, [...HOSTILE]);
});

t0('runBatch: many argv in one exec request, each result (stdout, stderr, code) as if run alone', async (t) => {
  const e = mk();
  const cmds: string[][] = [
    ['printf', '%s', 'no newline'],
    ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    ['cat', '--', '/nonexistent/privroute'],
    ['printf', '%s\n', ...HOSTILE],
    ['true'],
    ['definitely-not-a-command-privroute'],
  ];
  const got = await e.runBatch(cmds);
  t.is(got.length, cmds.length);
  t.deepEqual(got[0], { stdout: 'no newline', stderr: '', code: 0 });
  t.deepEqual(got[1], { stdout: 'out\n', stderr: 'err\n', code: 3 });
  t.is(got[2]!.code, 1);
  t.regex(got[2]!.stderr, /No such file/);
  t.is(got[3]!.stdout, HOSTILE.map((h) => h + '\n').join(''), 'hostile argv survive the batch script byte for byte');
  t.deepEqual(got[4], { stdout: '', stderr: '', code: 0 });
  t.not(got[5]!.code, 0);
  // Each result equals what run() returns for the same argv on its own.
  for (const [i, argv] of cmds.entries()) {
    const alone = await e.run(argv, { okCodes: Array.from({ length: 256 }, (_, k) => k) });
    if (i !== 5) t.deepEqual(got[i], alone, argv.join(' '));
  }
});

t0('env vars are passed as env K=V, values unchanged', async (t) => {
  const r = await mk().run(['printenv', 'PR_TEST'], { env: { PR_TEST: "a'b $(x) ;c" } });
  t.is(r.stdout, "a'b $(x) ;c\n");
});

t0('stdin passes through byte for byte', async (t) => {
  const input = Buffer.concat([Buffer.from('line1\nline2 $(id) \'q\'\n'), Buffer.from([0, 1, 2, 255])]);
  const r = await mk().run(['od', '-An', '-tx1', '-v']);
  t.is(r.stdout.trim(), ''); // no stdin → empty
  const r2 = await mk().run(['od', '-An', '-tx1', '-v'], { stdin: input });
  t.is(r2.stdout.replace(/\s+/g, ''), input.toString('hex'));
});

t0('a non-zero exit gives an ExecError with target, code, stderr; okCodes allow it', async (t) => {
  const ssh = mk();
  const e = await t.throwsAsync(ssh.run(['sh', '-c', 'echo nope >&2; exit 3']), { instanceOf: ExecError });
  t.is(e!.status, 3);
  t.is(e!.stderr, 'nope');
  t.is(e!.target, `ssh:root@${sshd.host}:${sshd.port}`);
  t.regex(e!.message, /exit code 3/);
  t.is((await ssh.run(['sh', '-c', 'exit 3'], { okCodes: [0, 3] })).code, 3);
});

t0('secret argv elements are masked in the error', async (t) => {
  const e = await t.throwsAsync(mk().run(['false', 'hunter2'], { secretArgs: [1] }), { instanceOf: ExecError });
  t.false(e!.message.includes('hunter2'));
  t.deepEqual(e!.argv, ['false', '<redacted>']);
});

t0('a command over its timeout is reported and killed on the server', async (t) => {
  const pidFile = path.join(sshd.dir, 'sleeper.pid');
  // 3 s: ample for the command to start (about 0.2 s measured), so the kill is what is tested.
  const e = await t.throwsAsync(mk().run(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { timeoutMs: 3000 }), { instanceOf: ExecError });
  t.regex(e!.message, /timed out/);
  t.is(e!.status, null);
  await waitFor('the remote command to start', () => existsSync(pidFile), 5000);
  const pid = readFileSync(pidFile, 'utf8').trim();
  // Same pid namespace as sshd: the remote process must go away (signal request honoured).
  t.true(await becomesGone(pid), 'remote command still running');
});

t0('writeFile creates the file atomically with mode 0600; readFile reads it back', async (t) => {
  const ssh = mk();
  const file = path.join(sshd.dir, 'secret.conf');
  await ssh.writeFile(file, 'PrivateKey = x\n', 0o600);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is((await ssh.readFile(file)).toString(), 'PrivateKey = x\n');
  // Overwrite: rename over the old file, mode of the new one, no temp left behind.
  await ssh.writeFile(file, 'v2', 0o640);
  t.is(statSync(file).mode & 0o777, 0o640);
  t.is((await ssh.run(['cat', file])).stdout, 'v2');
  const left = (await ssh.run(['ls', '-A', sshd.dir])).stdout.split('\n').filter((f) => f.endsWith('.tmp'));
  t.deepEqual(left, []);
  // Larger than one SFTP packet.
  const big = Buffer.alloc(300_000, 7);
  await ssh.writeFile(file, big, 0o600);
  t.true((await ssh.readFile(file)).equals(big));
});

t0('readFile of a missing file is an ExecError', async (t) => {
  await t.throwsAsync(mk().readFile('/nonexistent/privroute'), { instanceOf: ExecError });
});

t0('reconnects after the connection was closed', async (t) => {
  const ssh = mk();
  t.is((await ssh.run(['echo', 'a'])).stdout, 'a\n');
  await ssh.close();
  t.is((await ssh.run(['echo', 'b'])).stdout, 'b\n');
});

t0('a connection dropped by the server is replaced on the next call (run and SFTP)', async (t) => {
  const ssh = mk();
  t.is((await ssh.run(['echo', 'a'])).stdout, 'a\n');
  const logins = () => (sshd.proc.log().match(/Accepted publickey/g) ?? []).length;
  for (const op of ['run', 'sftp'] as const) {
    const before = logins();
    // Kill this test's sshd connection processes (children of the sshd we started), by pid.
    const kids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
      try {
        const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return st.slice(st.lastIndexOf(')') + 2).split(' ')[1] === String(sshd.proc.pid);
      } catch {
        return false;
      }
    });
    t.true(kids.length > 0);
    for (const k of kids) process.kill(Number(k), 'SIGKILL');
    if (op === 'run') t.is((await ssh.run(['echo', 'b'])).stdout, 'b\n');
    else t.is((await ssh.readFile(sshd.keyFile + '.pub')).toString(), readFileSync(sshd.keyFile + '.pub', 'utf8'));
    t.is(logins() - before, 1, `${op}: exactly one new login`);
  }
});

t0('one connection carries a burst of concurrent commands (more than sshd MaxSessions)', async (t) => {
  const logins = () => (sshd.proc.log().match(/Accepted publickey/g) ?? []).length;
  const before = logins();
  const ssh = mk();
  const out = await Promise.all(Array.from({ length: 24 }, (_, i) => ssh.run(['echo', String(i)])));
  t.deepEqual(out.map((r) => r.stdout), Array.from({ length: 24 }, (_, i) => `${i}\n`));
  await ssh.writeFile(path.join(sshd.dir, 'burst'), 'x', 0o600); // SFTP on the same connection
  t.is(logins() - before, 1);
});

t0('a changed host key is refused and the error shows both fingerprints', async (t) => {
  const e = await t.throwsAsync(mk({ hostKey: otherFp }).run(['true']), { instanceOf: ExecError });
  t.true(e!.message.includes(sshd.hostKeyFingerprint), e!.message);
  t.true(e!.message.includes(otherFp));
  t.regex(e!.message, /HOST KEY CHANGED/);
  t.regex(e!.hint ?? '', /ssh-keyscan -p 22 127\.0\.0\.1 \| ssh-keygen -lf -/);
  const c = await t.throwsAsync(mk({ hostKey: otherFp }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'hostkey-changed');
  t.is(c!.seen, sshd.hostKeyFingerprint);
  t.is(c!.expected, otherFp);
});

t0('an unknown (unpinned) host key is refused and the error shows it', async (t) => {
  const c = await t.throwsAsync(mk({ hostKey: null }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'hostkey-unknown');
  t.true(c!.message.includes(sshd.hostKeyFingerprint));
  t.regex(c!.hint ?? '', /ssh-keyscan/);
});

t0('a user key not in authorized_keys is refused', async (t) => {
  const c = await t.throwsAsync(mk({ keyFile: otherKey }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'auth');
  t.regex(c!.message, /refused authentication for user root/);
});

t0('a key file readable by group/other is refused before connecting', async (t) => {
  const loose = path.join(scope!.dir, 'loose_key');
  copyFileSync(sshd.keyFile, loose);
  chmodSync(loose, 0o644);
  const c = await t.throwsAsync(mk({ keyFile: loose }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'key-file');
  t.regex(c!.hint ?? '', /chmod 600/);
});

t0('connection refused names host and port (through the namespace relay)', async (t) => {
  const c = await t.throwsAsync(mk({ port: 2222 }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'refused');
  t.regex(c!.message, /127\.0\.0\.1:2222/);
});

t0('connection refused over direct TCP (loopback)', async (t) => {
  // A port we just closed on loopback: nothing listens there.
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const c = await t.throwsAsync(mk({ port, proxyCommand: undefined }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'refused');
  t.true(c!.message.includes(`127.0.0.1:${port}`));
});

t0('an unreachable address is reported as unreachable', async (t) => {
  // Inside the namespace there is no route to 192.0.2.1 (TEST-NET-1).
  const c = await t.throwsAsync(mk({ host: '192.0.2.1' }).connect(), { instanceOf: SshConnectError });
  t.is(c!.kind, 'unreachable');
  t.regex(c!.message, /192\.0\.2\.1:22/);
});

t0('a server that never speaks SSH times out', async (t) => {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => sockets.push(s)); // accept, stay silent
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const c = await t.throwsAsync(mk({ port, proxyCommand: undefined, readyTimeoutMs: 500 }).connect(), { instanceOf: SshConnectError });
    t.is(c!.kind, 'timeout');
    t.true(c!.message.includes(`127.0.0.1:${port}`));
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
