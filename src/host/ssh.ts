/**
 * SshExec: a HostExec on a remote host (the VPS) over SSH, with ssh2.
 *
 * - Key auth only, private key from a file that must not be readable by group
 *   or other. The key never appears in argv or logs.
 * - The server's host key must match a pinned SHA256 fingerprint (`ssh-keygen
 *   -lf` format). No pin, or a different key → refused before authentication,
 *   with both fingerprints and how to pin in the error. There is no "accept on
 *   first use".
 * - run(): an SSH exec request carries one string parsed by the remote login
 *   shell, so argv is quoted by {@link quoteArgv} (the only quoting function);
 *   env vars travel as `env K=V` argv (so: no secrets in env — use stdin). The
 *   remote needs coreutils `timeout` (Debian/Ubuntu: always there).
 * - writeFile(): SFTP open of a temp name in the same dir with O_EXCL and the
 *   final mode, fchmod (the server's umask can only narrow it), write, fsync,
 *   then posix-rename@openssh.com over the target: atomic, never readable wider.
 * - One connection, opened on first use, reopened on demand after a drop;
 *   close() ends it.
 */
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { DEFAULT_TIMEOUT_MS, ExecError, type HostExec, type RunOptions, type RunResult } from './exec.js';
import { batchScript, quoteArgv } from './shell-quote.js';
import { parseBatch, type BatchRunner } from './batch.js';
import { envPrefix } from './prefixed.js';
import { traceExec } from './trace.js';
import { cb, sftpRead, sftpUnlinkQuiet, sftpWriteAtomic } from './ssh-sftp.js';
import {
  SshConnectError, changedHostKey, classify, fingerprintOf, normalizeFingerprint, unknownHostKey, type SshEndpoint,
} from './ssh-errors.js';

/** Where and how to connect. */
export interface SshOptions {
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Private key file (OpenSSH or PEM), mode 0600 or stricter. */
  keyFile: string;
  /** Pinned host key fingerprint `SHA256:...`; null refuses every server (and shows its fingerprint). */
  hostKey: string | null;
  /**
   * Reach the server through a helper's stdin/stdout instead of TCP, like
   * OpenSSH's ProxyCommand but as argv (`%h`, `%p` replaced). E.g. a relay run
   * with `ip netns exec <ns>` to reach an address inside a namespace.
   */
  proxyCommand?: readonly string[];
  /** Handshake timeout. Default 10 000 ms. */
  readyTimeoutMs?: number;
  /** Concurrent channels on the connection (sshd MaxSessions is 10). Default 8. */
  maxChannels?: number;
}

/** An operation that never took effect (channel not opened, request unanswered); carries the error to report. */
class NotStarted extends Error {
  constructor(message: string, readonly error: unknown) {
    super(message);
  }
}

/** Runs commands and moves files on a host over SSH. Target `ssh:user@host:port`. */
export class SshExec implements HostExec, BatchRunner {
  readonly target: string;
  private readonly ep: SshEndpoint;
  private readonly pinned: string | null;
  private conn?: Promise<Client>;
  /** The client behind `conn` once ready, to tell a drop of the current connection from an old one. */
  private current?: Client;
  private sftpSession?: Promise<SFTPWrapper>;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: SshOptions) {
    this.ep = { host: opts.host, port: opts.port ?? 22, user: opts.user };
    this.target = `ssh:${opts.user}@${opts.host}:${this.ep.port}`;
    if (opts.hostKey !== null && normalizeFingerprint(opts.hostKey) === null) {
      throw new SshConnectError('hostkey-unknown', `pinned host key ${JSON.stringify(opts.hostKey)} for ${opts.host}:${this.ep.port} is not a SHA256 fingerprint`, {
        hint: `expected SHA256:<43 base64 chars>, as printed by: ssh-keyscan -p ${this.ep.port} ${opts.host} | ssh-keygen -lf -`,
      });
    }
    this.pinned = opts.hostKey === null ? null : normalizeFingerprint(opts.hostKey);
  }

  /** Open the connection now (otherwise done on first use). Rejects with {@link SshConnectError}. */
  async connect(): Promise<void> {
    await this.client();
  }

  /** End the connection (a later call reconnects). */
  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    this.current = undefined;
    this.sftpSession = undefined;
    if (!c) return;
    const client = await c.catch(() => undefined);
    if (!client) return;
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      client.end();
    });
  }

  private client(): Promise<Client> {
    this.conn ??= this.open().catch((e: unknown) => {
      this.conn = undefined;
      throw e;
    });
    return this.conn;
  }

  /** Read the key, refusing one readable by group/other. */
  private async readKey(): Promise<Buffer> {
    const f = this.opts.keyFile;
    let st;
    try {
      st = await fs.stat(f);
    } catch (e) {
      throw new SshConnectError('key-file', `cannot read the SSH private key ${f}: ${(e as Error).message}`, { cause: e, hint: 'set vps.ssh.key_file to an existing private key file' });
    }
    if ((st.mode & 0o077) !== 0) {
      throw new SshConnectError('key-file', `the SSH private key ${f} is accessible by group/other (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to use it`, {
        hint: `chmod 600 ${f}`,
      });
    }
    return fs.readFile(f);
  }

  private async open(): Promise<Client> {
    const privateKey = await this.readKey();
    const client = new Client();
    let hostKeyError: SshConnectError | undefined;
    let proxyStderr = '';
    let sock: Duplex | undefined;
    if (this.opts.proxyCommand) {
      const argv = this.opts.proxyCommand.map((a) => a.replace(/%h/g, this.ep.host).replace(/%p/g, String(this.ep.port)));
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
      child.stderr.on('data', (b: Buffer) => (proxyStderr += b.toString('utf8')));
      child.on('error', (e) => (proxyStderr += e.message));
      child.stdin.on('error', () => {}); // EPIPE after the proxy died: reported via its stderr
      sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
      client.once('close', () => child.kill('SIGTERM'));
    }
    const traced = traceExec(this.target, ['<ssh connect>']);
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (e: SshConnectError) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      };
      client.on('ready', () => {
        traced(0);
        settled = true;
        this.current = client;
        resolve(client);
      });
      client.on('error', (e: Error & { level?: string; code?: string }) => {
        // A proxy's stderr may arrive just after the stream closes.
        setTimeout(() => fail(hostKeyError ?? classify(this.ep, e, this.opts.keyFile, proxyStderr)), sock ? 50 : 0);
      });
      client.on('close', () => {
        this.forget(client); // the live connection dropped: the next call reconnects
        setTimeout(() => fail(hostKeyError ?? classify(this.ep, Object.assign(new Error('connection closed before the SSH handshake finished'), { level: 'closed' }), this.opts.keyFile, proxyStderr)), sock ? 50 : 0);
      });
      client.connect({
        host: this.ep.host,
        port: this.ep.port,
        username: this.ep.user,
        privateKey,
        sock,
        readyTimeout: this.opts.readyTimeoutMs ?? 10_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        // Only key auth: never fall back to passwords or keyboard-interactive.
        authHandler: ['publickey'],
        hostVerifier: (key: Buffer): boolean => {
          const seen = fingerprintOf(key);
          if (this.pinned === null) hostKeyError = unknownHostKey(this.ep, seen);
          else if (seen !== this.pinned) hostKeyError = changedHostKey(this.ep, seen, this.pinned);
          return hostKeyError === undefined;
        },
      });
    });
  }

  /** Limit concurrent channels so a burst of runs does not exceed the server's MaxSessions. */
  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing caller hands its slot straight to the next waiter, so a new
    // caller can never slip in between and exceed the limit.
    if (this.active >= (this.opts.maxChannels ?? 8)) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  private connectError(argv: readonly string[], opts: RunOptions, e: unknown): unknown {
    if (!(e instanceof SshConnectError)) return e;
    return new ExecError({ target: this.target, argv, secretArgs: opts.secretArgs, code: null, reason: e.message.replace(/^ssh: /, ''), hint: e.hint, cause: e });
  }

  /** Run argv through the remote login shell (quoted), with stdin, timeout and okCodes. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new ExecError({ target: this.target, argv, code: null, reason: 'empty argv' });
    // sshd keeps a command running after its channel closes, and OpenSSH refuses
    // "signal" requests for root sessions ("session signalling requires privilege
    // separation", measured with 9.2), so the server side enforces the timeout
    // too: coreutils `timeout` SIGKILLs the command 1 s after our own deadline.
    const killAfter = Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000) + 1;
    const command = quoteArgv(['timeout', '-s', 'KILL', '--', `${killAfter}s`, ...envPrefix(opts.env), ...argv]);
    return this.onConnection(argv, opts, (c) => this.slot(() => this.execOn(c, command, argv, opts)));
  }

  /**
   * Run several argv in ONE exec request (one round trip): the login shell runs
   * {@link batchScript}'s script, each command under the same remote `timeout` as
   * {@link run}; the framed output is split back per command. Any exit code is a
   * result (the caller judges it); rejects when the batch itself fails.
   */
  async runBatch(commands: readonly (readonly string[])[], opts: { timeoutMs?: number } = {}): Promise<RunResult[]> {
    if (commands.length === 0) return [];
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const killAfter = `${Math.ceil(timeoutMs / 1000) + 1}s`;
    const nonce = randomBytes(8).toString('hex');
    const script = batchScript(commands.map((argv) => ['timeout', '-s', 'KILL', '--', killAfter, ...argv]), nonce);
    const label = ['batch', `${commands.length} commands`];
    const r = await this.onConnection(label, {}, (c) => this.slot(() => this.execOn(c, script, label, { timeoutMs })));
    return parseBatch(r.stdout, r.stderr, commands.length, nonce);
  }

  /**
   * Run `op` on the live connection (opening it if needed). If `op` fails because
   * that connection dropped before the operation took effect (channel never
   * opened; SFTP request unanswered), reconnect once and retry: a command that
   * never started, or a temp-file write, is safe to repeat.
   */
  private async onConnection<T>(argv: readonly string[], opts: RunOptions, op: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let c: Client;
      try {
        c = await this.client();
      } catch (e) {
        throw this.connectError(argv, opts, e);
      }
      try {
        return await op(c);
      } catch (e) {
        const dropped = e instanceof NotStarted && (this.current !== c || /Not connected|No response from server/.test(e.message));
        if (dropped) this.forget(c);
        if (dropped && attempt === 0) continue;
        throw e instanceof NotStarted ? e.error : e;
      }
    }
  }

  /** Drop our references to connection `c` (after it died). */
  private forget(c: Client): void {
    if (this.current !== c) return;
    this.current = undefined;
    this.conn = undefined;
    this.sftpSession = undefined;
  }

  private execOn(client: Client, command: string, argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    const okCodes = opts.okCodes ?? [0];
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const fail = (code: number | null, reason: string, stdout = '', stderr = '', cause?: unknown) =>
      new ExecError({ target: this.target, argv, secretArgs: opts.secretArgs, code, reason, stdout, stderr, cause });
    const notStarted = (err: Error) => new NotStarted(err.message, fail(null, `cannot open an SSH channel: ${err.message}`, '', '', err));
    const traced = traceExec(this.target, argv, opts.secretArgs);
    return new Promise((resolve, reject) => {
      const onChannel = (err: Error | undefined, ch: ClientChannel) => {
        if (err) return reject(notStarted(err));
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let code: number | null = null;
        let signal: string | undefined;
        let timedOut = false;
        let done = false;
        const settle = (f: () => void) => {
          if (!done) {
            done = true;
            f();
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          ch.close();
          // Do not wait for the remote command: sshd keeps the channel until it exits.
          settle(() => reject(fail(null, `timed out after ${timeoutMs} ms`, Buffer.concat(out).toString('utf8'), Buffer.concat(errb).toString('utf8'))));
        }, timeoutMs);
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => errb.push(b));
        ch.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig ?? undefined;
        });
        ch.on('close', () => {
          clearTimeout(timer);
          traced(code);
          if (timedOut) return;
          const stdout = Buffer.concat(out).toString('utf8');
          const stderr = Buffer.concat(errb).toString('utf8');
          if (code !== null && okCodes.includes(code)) return settle(() => resolve({ stdout, stderr, code: code! }));
          const reason = signal ? `killed by SIG${signal}` : code === null ? 'connection lost' : `exit code ${code}`;
          settle(() => reject(fail(code, reason, stdout, stderr)));
        });
        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else ch.end();
      };
      try {
        client.exec(command, onChannel);
      } catch (e) {
        reject(notStarted(e as Error)); // "Not connected": the socket is already gone
      }
    });
  }

  /** The SFTP session of connection `c` (one per connection). Failures are NotStarted. */
  private async sftp(c: Client): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const p = cb<SFTPWrapper>((done) => c.sftp(done));
      this.sftpSession = p;
      const reset = () => {
        if (this.sftpSession === p) this.sftpSession = undefined;
      };
      // The subsystem can end while the connection lives on: open a new one next time.
      p.then((session) => session.on('close', reset), reset);
    }
    try {
      return await this.sftpSession;
    } catch (e) {
      throw new NotStarted((e as Error).message, e);
    }
  }

  /** Run an SFTP operation; failures on a dropped connection are retried once on a new one. */
  private sftpOp<T>(argv: string[], op: (sftp: SFTPWrapper) => Promise<T>, cleanup?: (sftp: SFTPWrapper) => Promise<void>): Promise<T> {
    const failed = (e: unknown) => new ExecError({ target: this.target, argv, code: null, reason: (e as Error).message, cause: e });
    return this.onConnection(argv, {}, async (c) => {
      const sftp = await this.sftp(c).catch((e: NotStarted) => {
        throw new NotStarted(e.message, failed(e.error));
      });
      try {
        return await this.slot(() => op(sftp));
      } catch (e) {
        if (cleanup && this.current === c) await cleanup(sftp);
        // Unanswered because the connection died: the op may be retried (temp-file writes are idempotent).
        throw this.current !== c ? new NotStarted((e as Error).message, failed(e)) : failed(e);
      }
    });
  }

  /** Atomic SFTP write with `mode` set at open and before any byte (see file comment). */
  async writeFile(file: string, content: string | Buffer, mode: number): Promise<void> {
    const data = Buffer.from(content);
    let tmp = '';
    const write = (sftp: SFTPWrapper) => {
      // A fresh temp name per attempt: a retry must not trip over the O_EXCL of a half-written one.
      tmp = path.posix.join(path.posix.dirname(file), `.${path.posix.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
      return sftpWriteAtomic(sftp, file, tmp, data, mode);
    };
    await this.sftpOp(['sftp-write', file], write, (sftp) => sftpUnlinkQuiet(sftp, tmp));
  }

  /** Read a remote file over SFTP. */
  readFile(file: string): Promise<Buffer> {
    return this.sftpOp(['sftp-read', file], (sftp) => sftpRead(sftp, file));
  }
}
