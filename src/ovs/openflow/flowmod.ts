/**
 * FLOW_MOD encoding/decoding and OFPMP_FLOW (flow stats) request/reply, mapping
 * to and from the shared {@link Flow} model.
 *
 * Cookie semantics on OF1.3 (as Open vSwitch implements them):
 * - add: the flow's cookie is installed; an existing flow with the same
 *   table+priority+match is replaced whole (actions, cookie, counters reset).
 * - modify_strict: changes the instructions of the flow with the same
 *   table+priority+match; cookie_mask 0, so any cookie matches and the installed
 *   cookie is NOT changed (OF1.1+ has no "new cookie" on modify). Use add to change a cookie.
 * - delete_strict: deletes the flow with the same table+priority+match AND exactly
 *   this cookie (cookie_mask all ones) so a foreign flow is never removed by accident.
 * - delete: by table (default all) and cookie/cookie_mask, any match.
 */
import type { Flow } from '../flow.js';
import { Reader, Writer } from './buf.js';
import { OFPFC, OFPG_ANY, OFPMP, OFPP, OFPT, OFPTT_ALL, OFP_NO_BUFFER } from './consts.js';
import { beginMsg, beginMultipart, endMsg, OFP_HEADER_LEN, type OfMessage } from './messages.js';
import { decodeMatch, encodeMatch } from './oxm.js';
import { decodeInstructions, encodeInstructions } from './actions.js';
import { EncodeError } from './addr.js';

/** A flow modification, with ports already resolved to numbers. */
export type FlowMod =
  | { command: 'add' | 'modify_strict' | 'delete_strict'; flow: Flow }
  | { command: 'delete'; table?: number; cookie: bigint; cookieMask: bigint };

const ALL64 = 0xffffffffffffffffn;
const EMPTY_MATCH = Buffer.from([0, 1, 0, 4, 0, 0, 0, 0]);

function checkFlow(f: Flow): void {
  if (f.unsupported?.length) throw new EncodeError(`flow cannot be re-encoded; it holds parts the codec does not model: ${f.unsupported.join(', ')}`);
  if (!Number.isInteger(f.table) || f.table < 0 || f.table > 254) throw new EncodeError(`flow table ${f.table} out of range 0..254`);
  if (!Number.isInteger(f.priority) || f.priority < 0 || f.priority > 0xffff) throw new EncodeError(`flow priority ${f.priority} out of range 0..65535`);
}

/** Encode one FLOW_MOD message. */
export function encodeFlowMod(w: Writer, version: number, xid: number, mod: FlowMod): void {
  const start = beginMsg(w, version, OFPT.FLOW_MOD, xid);
  if (mod.command === 'delete') {
    w.u64(mod.cookie);
    w.u64(mod.cookieMask);
    w.u8(mod.table ?? OFPTT_ALL);
    w.u8(OFPFC.DELETE);
    w.zero(4); // idle, hard
    w.u16(0x8000); // priority: ignored by a non-strict delete; OFP_DEFAULT_PRIORITY as ovs-ofctl sends
    w.u32(OFP_NO_BUFFER);
    w.u32(OFPP.ANY);
    w.u32(OFPG_ANY);
    w.zero(4); // flags, pad/importance
    w.bytes(EMPTY_MATCH);
    endMsg(w, start);
    return;
  }
  const f = mod.flow;
  checkFlow(f);
  const cmd = mod.command === 'add' ? OFPFC.ADD : mod.command === 'modify_strict' ? OFPFC.MODIFY_STRICT : OFPFC.DELETE_STRICT;
  w.u64(f.cookie);
  w.u64(mod.command === 'delete_strict' ? ALL64 : 0n);
  w.u8(f.table);
  w.u8(cmd);
  // Timeouts are meaningless for a delete; ovs-ofctl sends zeros there.
  w.u16(mod.command === 'delete_strict' ? 0 : f.idleTimeout ?? 0);
  w.u16(mod.command === 'delete_strict' ? 0 : f.hardTimeout ?? 0);
  w.u16(f.priority);
  w.u32(OFP_NO_BUFFER);
  w.u32(OFPP.ANY);
  w.u32(OFPG_ANY);
  w.zero(4);
  encodeMatch(w, f.match);
  // A delete carries no instructions (OVS ignores them; ovs-ofctl sends none).
  if (mod.command !== 'delete_strict') encodeInstructions(w, f.actions, f.meter, f.gotoTable);
  endMsg(w, start);
}

/** Build a Flow from decoded parts, omitting defaults so equal flows deep-equal. */
function makeFlow(table: number, priority: number, cookie: bigint, idle: number, hard: number, r: Reader): Flow {
  const { match, unsupported: mu } = decodeMatch(r);
  const ins = decodeInstructions(r);
  const flow: { -readonly [K in keyof Flow]: Flow[K] } = { table, priority, cookie, match, actions: ins.actions };
  if (ins.meter !== undefined) flow.meter = ins.meter;
  if (ins.gotoTable !== undefined) flow.gotoTable = ins.gotoTable;
  if (idle) flow.idleTimeout = idle;
  if (hard) flow.hardTimeout = hard;
  if (mu.length || ins.unsupported.length) flow.unsupported = mu.concat(ins.unsupported);
  return flow;
}

/** Decode a FLOW_MOD message back into a {@link FlowMod} (tests, tracing). */
export function decodeFlowMod(m: OfMessage): FlowMod {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  const cookie = r.u64();
  const cookieMask = r.u64();
  const table = r.u8();
  const cmd = r.u8();
  const idle = r.u16();
  const hard = r.u16();
  const priority = r.u16();
  r.skip(16); // buffer, out_port, out_group, flags, pad
  if (cmd === OFPFC.DELETE) return table === OFPTT_ALL ? { command: 'delete', cookie, cookieMask } : { command: 'delete', table, cookie, cookieMask };
  const flow = makeFlow(table, priority, cookie, idle, hard, r);
  const command = cmd === OFPFC.ADD ? 'add' : cmd === OFPFC.MODIFY_STRICT ? 'modify_strict' : cmd === OFPFC.DELETE_STRICT ? 'delete_strict' : undefined;
  if (!command) throw new EncodeError(`flow_mod command ${cmd} is not modelled`);
  return { command, flow };
}

/** Filter for a flow-stats request. */
export interface FlowFilter {
  cookie?: bigint;
  cookieMask?: bigint;
  table?: number;
}

/** Encode an OFPMP_FLOW request (any match, optional table and cookie/mask). */
export function encodeFlowStatsRequest(w: Writer, version: number, xid: number, f: FlowFilter = {}): void {
  const start = beginMultipart(w, version, OFPMP.FLOW, xid);
  w.u8(f.table ?? OFPTT_ALL);
  w.zero(3);
  w.u32(OFPP.ANY);
  w.u32(OFPG_ANY);
  w.zero(4);
  w.u64(f.cookie ?? 0n);
  w.u64(f.cookieMask ?? (f.cookie !== undefined ? ALL64 : 0n));
  w.bytes(EMPTY_MATCH);
  endMsg(w, start);
}

/** Decode the ofp_flow_stats entries of one multipart reply body into `into`. */
export function decodeFlowStats(body: Reader, into: Flow[]): void {
  while (body.left >= 4) {
    const len = body.u16();
    const e = body.sub(len - 2);
    const table = e.u8();
    e.skip(1 + 8); // pad, duration
    const priority = e.u16();
    const idle = e.u16();
    const hard = e.u16();
    e.skip(2 + 4); // flags, pad (importance+pad on 1.4)
    const cookie = e.u64();
    e.skip(16); // packet/byte counts
    into.push(makeFlow(table, priority, cookie, idle, hard, e));
  }
}
