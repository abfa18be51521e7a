/**
 * One OpenFlow connection: socket, framing, HELLO/version negotiation, echo
 * replies, xid bookkeeping and request/reply matching (including multipart).
 *
 * Throughput: callers pipeline — they write many encoded messages (one big buffer)
 * without awaiting each and then await a single barrier. Errors for fire-and-forget
 * messages are routed to registered {@link ErrorSink}s by xid range.
 */
import type net from 'node:net';
import { OperationError, PreconditionError } from '../../core/errors.js';
import { Writer } from './buf.js';
import { OFP13_VERSION, OFP14_VERSION, OFPMPF_MORE, OFPT, typeName } from './consts.js';
import {
  decodeFeatures, decodeHelloVersions, decodeMultipart, encodeEchoReply, encodeEmpty, encodeHello, negotiateVersion,
  OFP_HEADER_LEN, parseHeader, type Features, type OfMessage,
} from './messages.js';
import { decodeError, OpenFlowError, type OfErrorInfo } from './errors.js';
import { closeSocket, connectSocket, parseEndpoint } from '../endpoint.js';

/** Receives errors for xids in [first, last] that have no pending request. */
export interface ErrorSink {
  first: number;
  last: number;
  onError(info: OfErrorInfo, xid: number): void;
}

interface Pending {
  resolve(m: OfMessage): void;
  reject(e: Error): void;
  /** For multipart: called for every part; resolve gets the last one. */
  onPart?(m: OfMessage): void;
  timer?: NodeJS.Timeout;
}

export interface ConnectOptions {
  timeoutMs?: number;
  /** Versions to offer; default [1.3, 1.4]. Must be >= 1.3. */
  versions?: number[];
}

const VNAME: Record<number, string> = { 1: '1.0', 2: '1.1', 3: '1.2', 4: '1.3', 5: '1.4', 6: '1.5' };

/** A negotiated OpenFlow connection. */
export class OfConnection {
  private buf: Buffer | null = null;
  private pending = new Map<number, Pending>();
  private sinks = new Set<ErrorSink>();
  private xid = 1;
  private closed: Error | null = null;
  /** Errors that matched neither a pending request nor a sink (kept for diagnostics). */
  readonly strayErrors: OfErrorInfo[] = [];
  features!: Features;

  private constructor(
    private readonly sock: net.Socket,
    readonly version: number,
    readonly timeoutMs: number,
    leftover: Buffer | null,
  ) {
    this.buf = leftover;
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (e) => this.fail(new OperationError('openflow', `connection error: ${e.message}`, { cause: e })));
    sock.on('close', () => this.fail(new OperationError('openflow', 'connection closed by the switch')));
    if (leftover) this.onData(Buffer.alloc(0));
  }

  /** Connect, negotiate the version (refusing < 1.3), and fetch FEATURES. */
  static async open(endpoint: string, opts: ConnectOptions = {}): Promise<OfConnection> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const ours = opts.versions ?? [OFP13_VERSION, OFP14_VERSION];
    const sock = await connectSocket(parseEndpoint(endpoint, 'openflow endpoint'), 'openflow', timeoutMs);
    const w = new Writer(32);
    encodeHello(w, ours, 0);
    sock.write(w.finish());
    let helloMsg: OfMessage;
    let rest: Buffer | null;
    try {
      ({ msg: helloMsg, rest } = await readFirst(sock, timeoutMs));
    } catch (e) {
      sock.destroy();
      throw e;
    }
    if (helloMsg.type !== OFPT.HELLO) {
      sock.destroy();
      throw new OperationError('openflow', `expected HELLO from the switch, got ${typeName(helloMsg.type)}`);
    }
    const theirs = decodeHelloVersions(helloMsg);
    const version = negotiateVersion(ours, theirs);
    if (version === undefined) {
      // Tell the switch why we hang up (OFPET_HELLO_FAILED / OFPHFC_INCOMPATIBLE), as the spec asks.
      const e = new Writer(16);
      e.u8(helloMsg.version);
      e.u8(OFPT.ERROR);
      e.u16(12);
      e.u32(helloMsg.xid);
      e.u32(0); // type 0 HELLO_FAILED, code 0 INCOMPATIBLE
      sock.end(e.finish());
      throw new PreconditionError(
        `OpenFlow version negotiation failed: the switch offers ${theirs.map((v) => VNAME[v] ?? v).join(', ')}; privroute needs ${ours.map((v) => VNAME[v]).join(' or ')}`,
        'add OpenFlow13 to the bridge protocols (privroute\'s ensureBridge does this: Bridge.protocols)',
      );
    }
    const conn = new OfConnection(sock, version, timeoutMs, rest);
    const fw = new Writer(16);
    const xid = conn.nextXid();
    encodeEmpty(fw, version, OFPT.FEATURES_REQUEST, xid);
    try {
      conn.features = decodeFeatures(await conn.request(xid, fw.finish()));
    } catch (e) {
      await conn.close();
      throw e;
    }
    return conn;
  }

  /** Allocate a fresh xid (never 0; wraps at 2^32). */
  nextXid(): number {
    const x = this.xid;
    this.xid = this.xid >= 0xfffffff0 ? 1 : this.xid + 1;
    return x;
  }

  /** Allocate `n` consecutive xids; returns the first. */
  reserveXids(n: number): number {
    if (this.xid + n >= 0xfffffff0) this.xid = 1;
    const first = this.xid;
    this.xid += n;
    return first;
  }

  /** Write bytes (one or many encoded messages). Does not wait for anything. */
  send(bytes: Buffer): void {
    if (this.closed) throw this.closed;
    this.sock.write(bytes);
  }

  /** Wait until Node handed all queued bytes to the kernel (backpressure for huge batches). */
  drained(): Promise<void> {
    if (!this.sock.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.sock.once('drain', () => resolve()));
  }

  /** Send `bytes` (if any) and wait for the reply with `xid` (rejects on OFPT_ERROR for it). */
  request(xid: number, bytes: Buffer | null, onPart?: (m: OfMessage) => void): Promise<OfMessage> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<OfMessage>((resolve, reject) => {
      const p: Pending = { resolve, reject, onPart };
      p.timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new OperationError('openflow', `no reply to xid ${xid} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(xid, p);
      if (bytes) this.sock.write(bytes);
    });
  }

  /** Send a BARRIER_REQUEST and wait for its reply: every earlier message has been processed. */
  barrier(): Promise<void> {
    const w = new Writer(8);
    const xid = this.nextXid();
    encodeEmpty(w, this.version, OFPT.BARRIER_REQUEST, xid);
    return this.request(xid, w.finish()).then(() => undefined);
  }

  addSink(s: ErrorSink): () => void {
    this.sinks.add(s);
    return () => this.sinks.delete(s);
  }

  /** Close the socket; pending requests reject. */
  close(): Promise<void> {
    return closeSocket(this.sock);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  private onData(d: Buffer): void {
    const b = this.buf && this.buf.length ? (d.length ? Buffer.concat([this.buf, d]) : this.buf) : d;
    let off = 0;
    while (b.length - off >= OFP_HEADER_LEN) {
      const len = b.readUInt16BE(off + 2);
      if (len < OFP_HEADER_LEN) {
        this.fail(new OperationError('openflow', `malformed message length ${len}`));
        this.sock.destroy();
        return;
      }
      if (b.length - off < len) break;
      this.dispatch(parseHeader(b.subarray(off, off + len)));
      off += len;
    }
    this.buf = off < b.length ? b.subarray(off) : null;
  }

  private dispatch(m: OfMessage): void {
    if (m.type === OFPT.ECHO_REQUEST) {
      const w = new Writer(m.length);
      encodeEchoReply(w, m);
      this.sock.write(w.finish());
      return;
    }
    const p = this.pending.get(m.xid);
    if (m.type === OFPT.ERROR) {
      const info = decodeError(m);
      if (p) {
        this.pending.delete(m.xid);
        clearTimeout(p.timer);
        p.reject(new OpenFlowError(info));
        return;
      }
      for (const s of this.sinks) {
        if (m.xid >= s.first && m.xid <= s.last) {
          s.onError(info, m.xid);
          return;
        }
      }
      this.strayErrors.push(info);
      return;
    }
    if (!p) return; // PORT_STATUS, FLOW_REMOVED, late replies: not ours to handle
    if (m.type === OFPT.MULTIPART_REPLY) {
      try {
        p.onPart?.(m);
      } catch (e) {
        this.pending.delete(m.xid);
        clearTimeout(p.timer);
        p.reject(e as Error);
        return;
      }
      if (decodeMultipart(m).flags & OFPMPF_MORE) return;
    }
    this.pending.delete(m.xid);
    clearTimeout(p.timer);
    p.resolve(m);
  }
}

/** Read exactly one message from a fresh socket (the peer HELLO); returns leftover bytes. */
function readFirst(sock: net.Socket, timeoutMs: number): Promise<{ msg: OfMessage; rest: Buffer | null }> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const timer = setTimeout(() => done(new OperationError('openflow', `no HELLO from the switch within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      acc = Buffer.concat([acc, d]);
      if (acc.length < OFP_HEADER_LEN) return;
      const len = acc.readUInt16BE(2);
      if (acc.length < len) return;
      done(null, parseHeader(acc.subarray(0, len)), acc.length > len ? acc.subarray(len) : null);
    };
    const onClose = (): void => done(new OperationError('openflow', 'the switch closed the connection during HELLO (check Bridge.protocols)'));
    const onErr = (e: Error): void => done(new OperationError('openflow', `connection error during HELLO: ${e.message}`, { cause: e }));
    function done(err: Error | null, msg?: OfMessage, rest?: Buffer | null): void {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.off('error', onErr);
      if (err) reject(err);
      else resolve({ msg: msg!, rest: rest ?? null });
    }
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.once('error', onErr);
  });
}
