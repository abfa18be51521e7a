/**
 * OVSDB JSON-RPC 1.0 client (RFC 7047) over a unix socket or TCP: request ids,
 * answers the server's `echo` (or it drops us), `transact`, `monitor` with `update`
 * notifications, `monitor_cancel`, `get_schema`, `list_dbs`.
 */
import type net from 'node:net';
import { OperationError } from '../../core/errors.js';
import { closeSocket, connectSocket, parseEndpoint } from '../endpoint.js';
import { JsonStream } from './json-stream.js';
import { isMutating, type Operation } from './datum.js';

/** `update` notification payload: table -> row uuid -> {old?, new?}. */
export type TableUpdates = Record<string, Record<string, { old?: Record<string, unknown>; new?: Record<string, unknown> }>>;

/** Per-operation result of a transaction (RFC 7047 §5.2). */
export interface OpResult {
  uuid?: ['uuid', string];
  rows?: Record<string, unknown>[];
  count?: number;
  error?: string;
  details?: string;
}

/** A transaction the server rejected; `results` holds the per-op outcomes. */
export class TransactError extends OperationError {
  constructor(
    readonly error: string,
    readonly details: string | undefined,
    readonly results: OpResult[],
    readonly opIndex: number,
  ) {
    super('ovsdb', `transaction failed: ${error}${details ? ` (${details})` : ''}${opIndex >= 0 ? ` at operation ${opIndex}` : ''}`);
  }
  /** True when a `wait` guard failed: the rows changed since we read them; re-read and retry. */
  get isWaitFailure(): boolean {
    return this.error === 'timed out';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  method: string;
  timer: NodeJS.Timeout;
}

/** An OVSDB connection. */
export class OvsdbClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private monitors = new Map<string, (u: TableUpdates) => void>();
  private stream = new JsonStream();
  private closedErr: Error | null = null;
  /** Counters for tests and benchmarks: every transact, and those carrying a mutating op. */
  readonly stats = { transacts: 0, mutatingTransacts: 0 };

  private constructor(private readonly sock: net.Socket, readonly timeoutMs: number) {
    sock.on('data', (d: Buffer) => {
      let msgs: unknown[];
      try {
        msgs = this.stream.push(d);
      } catch (e) {
        this.fail(new OperationError('ovsdb', (e as Error).message));
        sock.destroy();
        return;
      }
      for (const m of msgs) this.onMessage(m as Record<string, unknown>);
    });
    sock.on('error', (e) => this.fail(new OperationError('ovsdb', `connection error: ${e.message}`, { cause: e })));
    sock.on('close', () => this.fail(new OperationError('ovsdb', 'connection closed by the server')));
  }

  /** Connect to 'unix:/path/db.sock' or 'tcp:host:6640'. */
  static async connect(endpoint: string, opts: { timeoutMs?: number } = {}): Promise<OvsdbClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const sock = await connectSocket(parseEndpoint(endpoint, 'ovsdb endpoint'), 'ovsdb', timeoutMs);
    return new OvsdbClient(sock, timeoutMs);
  }

  /** Send a request and resolve with its `result` (rejects on a non-null `error`). */
  request(method: string, params: unknown[]): Promise<unknown> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OperationError('ovsdb', `no reply to ${method} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, method, timer });
      this.sock.write(JSON.stringify({ id, method, params }));
    });
  }

  /** `list_dbs` */
  listDbs(): Promise<string[]> {
    return this.request('list_dbs', []) as Promise<string[]>;
  }

  /** `get_schema` for `db`. */
  getSchema(db: string): Promise<{ name: string; version: string; tables: Record<string, { columns: Record<string, unknown> }> }> {
    return this.request('get_schema', [db]) as Promise<never>;
  }

  /** `echo` round trip (liveness). */
  echo(payload: unknown[] = ['privroute']): Promise<unknown> {
    return this.request('echo', payload);
  }

  /**
   * `transact`: run `ops` atomically. Resolves with the per-op results; rejects with
   * {@link TransactError} if any op (or the transaction) failed — nothing is committed then.
   */
  async transact(db: string, ops: Operation[]): Promise<OpResult[]> {
    this.stats.transacts++;
    if (ops.some(isMutating)) this.stats.mutatingTransacts++;
    const results = (await this.request('transact', [db, ...ops])) as OpResult[];
    const i = results.findIndex((r) => r && r.error);
    if (i >= 0) throw new TransactError(results[i]!.error!, results[i]!.details, results, i < ops.length ? i : -1);
    return results;
  }

  /**
   * `monitor`: returns the initial contents and calls `onUpdate` for every later
   * `update` notification with this monitor id.
   */
  async monitor(db: string, id: string, requests: Record<string, { columns?: string[] }>, onUpdate: (u: TableUpdates) => void): Promise<TableUpdates> {
    this.monitors.set(id, onUpdate);
    try {
      return (await this.request('monitor', [db, id, requests])) as TableUpdates;
    } catch (e) {
      this.monitors.delete(id);
      throw e;
    }
  }

  /** `monitor_cancel` */
  async monitorCancel(id: string): Promise<void> {
    this.monitors.delete(id);
    await this.request('monitor_cancel', [id]);
  }

  /** Close the connection; pending requests reject. */
  close(): Promise<void> {
    return closeSocket(this.sock);
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  private onMessage(m: Record<string, unknown>): void {
    if (typeof m.method === 'string') {
      if (m.method === 'echo' && m.id !== null && m.id !== undefined) {
        // The server probes idle clients with echo and disconnects those that don't answer.
        this.sock.write(JSON.stringify({ id: m.id, result: m.params ?? [], error: null }));
      } else if (m.method === 'update' && Array.isArray(m.params)) {
        const [id, updates] = m.params as [string, TableUpdates];
        this.monitors.get(typeof id === 'string' ? id : JSON.stringify(id))?.(updates);
      }
      return;
    }
    const p = this.pending.get(m.id as number);
    if (!p) return;
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) {
      const err = m.error as { error?: string; details?: string } | string;
      const text = typeof err === 'string' ? err : `${err.error ?? 'error'}${err.details ? `: ${err.details}` : ''}`;
      p.reject(new OperationError('ovsdb', `${p.method} failed: ${text}`));
    } else p.resolve(m.result);
  }
}

/** Connect to `endpoint`, run `fn` with the client, and always close it. */
export async function withOvsdb<T>(endpoint: string, fn: (c: OvsdbClient) => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const c = await OvsdbClient.connect(endpoint, opts);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
