/**
 * OpenFlowClient: the facade src/flows calls. Dumps flows and meters, and applies
 * flow mods atomically in one bundle (ONF extension on OF1.3, native on OF1.4+).
 *
 * Meters and bundles: Open vSwitch does not accept METER_MOD inside a bundle
 * (bundles carry flow/group/port mods; a meter mod is refused with
 * OFPBFC_MSG_UNSUP — see test/integration/ovs/openflow.test.ts). So applyBundle runs:
 *   1. meter add/modify, pipelined + barrier (so new flows can reference them);
 *   2. the flow bundle: OPEN, all ADD_MESSAGEs pipelined, BARRIER (so a message the
 *      switch rejects on arrival aborts before commit), COMMIT (ATOMIC|ORDERED);
 *   3. meter deletes, pipelined + barrier (after no flow references them).
 * If 1 or 2 fails, meters added in 1 are deleted again and nothing else changed
 * (a meter *modify* in 1 is not rolled back). If 3 fails the flows are committed and
 * the error says so.
 */
import type { Flow, Meter } from '../flow.js';
import { OperationError } from '../../core/errors.js';
import { Writer } from './buf.js';
import { BUNDLE, BUNDLE_FLAG_ATOMIC, BUNDLE_FLAG_ORDERED, OFPMP } from './consts.js';
import { OfConnection } from './conn.js';
import { decodeMultipart, encodeBundleAdd, encodeBundleControl, type OfMessage } from './messages.js';
import { decodeFlowStats, encodeFlowMod, encodeFlowStatsRequest, type FlowMod } from './flowmod.js';
import { decodeMeterConfigs, encodeMeterConfigRequest, encodeMeterMod, type MeterMod } from './meter.js';
import { OpenFlowError, type OfErrorInfo } from './errors.js';
import { describeFlowMod } from './describe.js';

export type { FlowMod } from './flowmod.js';
export type { MeterMod } from './meter.js';

/** Flush the encode buffer to the socket once it holds this many bytes. */
const CHUNK = 256 * 1024;

/**
 * One OpenFlow connection to a bridge (management socket or TCP). Safe for concurrent
 * calls (replies are matched by xid); not for concurrent applyBundle calls that must
 * be ordered against each other — await one before starting the next.
 */
export class OpenFlowClient {
  private constructor(private readonly conn: OfConnection) {}

  /** Connect to 'unix:/path' (e.g. `<rundir>/<bridge>.mgmt`) or 'tcp:h:p'; negotiates OF1.3+ or fails clearly. */
  static async connect(endpoint: string, opts: { timeoutMs?: number; versions?: number[] } = {}): Promise<OpenFlowClient> {
    return new OpenFlowClient(await OfConnection.open(endpoint, opts));
  }

  /** Negotiated wire version (4 = OF1.3, 5 = OF1.4). */
  get version(): number {
    return this.conn.version;
  }

  /** Datapath id from FEATURES_REPLY. */
  get datapathId(): bigint {
    return this.conn.features.datapathId;
  }

  /**
   * All flows matching the filter (server-side cookie/mask and table filtering), with
   * ports as numbers. Flows with parts the model cannot hold carry `unsupported`.
   */
  async dumpFlows(filter: { cookie?: bigint; cookieMask?: bigint; table?: number } = {}): Promise<Flow[]> {
    const flows: Flow[] = [];
    const w = new Writer(64);
    const xid = this.conn.nextXid();
    encodeFlowStatsRequest(w, this.conn.version, xid, filter);
    // Decode each part as it arrives so decoding overlaps with the switch still sending.
    await this.conn.request(xid, w.finish(), (m) => {
      const { mpType, body } = decodeMultipart(m);
      if (mpType === OFPMP.FLOW) decodeFlowStats(body, flows);
    });
    return flows;
  }

  /** All meters (OFPMP_METER_CONFIG). */
  async dumpMeters(): Promise<Meter[]> {
    const meters: Meter[] = [];
    const w = new Writer(32);
    const xid = this.conn.nextXid();
    encodeMeterConfigRequest(w, this.conn.version, xid);
    await this.conn.request(xid, w.finish(), (m) => {
      const { mpType, body } = decodeMultipart(m);
      if (mpType === OFPMP.METER_CONFIG) decodeMeterConfigs(body, meters);
    });
    return meters;
  }

  /** Apply all mods in one atomic bundle; rejects (and nothing changes) if any mod fails. See the file comment for meters. */
  async applyBundle(mods: FlowMod[], meters: MeterMod[] = []): Promise<void> {
    const v = this.conn.version;
    const before = meters.filter((m) => m.command !== 'delete');
    const after = meters.filter((m) => m.command === 'delete');
    // Encode everything up front (once): an encoding error (unresolved port name, bad
    // address) throws here, before a single byte reaches the switch.
    const pre = this.encodeBatch(before.length, (w, xid, i) => encodeMeterMod(w, v, xid, before[i]!));
    const post = this.encodeBatch(after.length, (w, xid, i) => encodeMeterMod(w, v, xid, after[i]!));
    const bundleId = (Math.random() * 0xffffffff) >>> 0;
    const flags = BUNDLE_FLAG_ATOMIC | BUNDLE_FLAG_ORDERED;
    const adds = this.encodeBatch(mods.length, (w, xid, i) => encodeBundleAdd(w, v, xid, bundleId, flags, (iw) => encodeFlowMod(iw, v, xid, mods[i]!)));

    if (before.length) await this.pipeline(pre, (i) => `meter ${before[i]!.command} ${JSON.stringify(before[i]!.meter)}`);
    try {
      if (mods.length) await this.bundle(bundleId, flags, adds, mods);
    } catch (e) {
      const added = before.filter((m) => m.command === 'add');
      if (added.length) {
        const undo = this.encodeBatch(added.length, (w, xid, i) => encodeMeterMod(w, v, xid, { command: 'delete', meter: added[i]!.meter }));
        await this.pipeline(undo, () => 'meter rollback').catch(() => undefined);
      }
      throw e;
    }
    if (after.length) {
      await this.pipeline(post, (i) => `meter delete ${after[i]!.meter.id}`).catch((e: Error) => {
        throw new OperationError('openflow', `flows were committed, but deleting meters failed: ${e.message}`, { cause: e });
      });
    }
  }

  /** Wait until the switch has processed everything sent before. */
  barrier(): Promise<void> {
    return this.conn.barrier();
  }

  /** Close the connection. */
  close(): Promise<void> {
    return this.conn.close();
  }

  /** Encode `n` messages with consecutive xids into ~CHUNK-sized buffers. */
  private encodeBatch(n: number, enc: (w: Writer, xid: number, i: number) => void): Batch {
    const first = n ? this.conn.reserveXids(n) : 0;
    const chunks: Buffer[] = [];
    let w = new Writer(n ? CHUNK + 4096 : 16);
    for (let i = 0; i < n; i++) {
      enc(w, first + i, i);
      if (w.off >= CHUNK) chunks.push(w.finish()), (w = new Writer(CHUNK + 4096));
    }
    if (w.off) chunks.push(w.finish());
    return { first, n, chunks };
  }

  /** Write a batch, respecting socket backpressure so huge batches don't balloon memory. */
  private async sendBatch(b: Batch): Promise<void> {
    for (const c of b.chunks) {
      this.conn.send(c);
      await this.conn.drained();
    }
  }

  /** Send a batch without awaiting each message, then one barrier; reject with the first error. */
  private async pipeline(b: Batch, describe: (i: number) => string): Promise<void> {
    const errors: OpenFlowError[] = [];
    const remove = this.conn.addSink({ first: b.first, last: b.first + b.n - 1, onError: (info, xid) => errors.push(new OpenFlowError(info, describe(xid - b.first))) });
    try {
      await this.sendBatch(b);
      await this.conn.barrier();
    } finally {
      remove();
    }
    if (errors.length) throw errors[0];
  }

  private async bundle(id: number, flags: number, adds: Batch, mods: FlowMod[]): Promise<void> {
    const v = this.conn.version;
    const ctl = async (type: number): Promise<OfMessage> => {
      const w = new Writer(32);
      const xid = this.conn.nextXid();
      encodeBundleControl(w, v, xid, id, type, flags);
      return this.conn.request(xid, w.finish());
    };
    await ctl(BUNDLE.OPEN_REQUEST);
    const failures: { info: OfErrorInfo; xid: number }[] = [];
    const remove = this.conn.addSink({ first: adds.first, last: adds.first + adds.n - 1, onError: (info, xid) => failures.push({ info, xid }) });
    const asErrors = (): OpenFlowError[] => failures.map((f) => new OpenFlowError(f.info, describeFlowMod(mods[f.xid - adds.first]!)));
    try {
      await this.sendBatch(adds);
      // A message rejected on arrival is simply not in the bundle; commit would then apply the rest.
      await this.conn.barrier();
      if (failures.length) {
        await ctl(BUNDLE.DISCARD_REQUEST).catch(() => undefined);
        const [head, ...rest] = asErrors();
        throw new OpenFlowError(head!.info, head!.request, rest);
      }
      try {
        await ctl(BUNDLE.COMMIT_REQUEST);
      } catch (e) {
        // Commit failed: the per-message errors (sent before the commit error) name the culprit.
        if (e instanceof OpenFlowError && failures.length) {
          const [head, ...rest] = asErrors();
          throw new OpenFlowError(head!.info, head!.request, [...rest, e]);
        }
        throw e;
      }
    } finally {
      remove();
    }
  }
}

interface Batch {
  first: number;
  n: number;
  chunks: Buffer[];
}
