/**
 * METER_MOD and OFPMP_METER_CONFIG codec for the {@link Meter} model (one drop band).
 * Meters are sent with OFPMF_STATS so `ovs-ofctl dump-meters`/meter stats show counts.
 */
import type { Meter } from '../flow.js';
import { Reader, Writer } from './buf.js';
import { EncodeError } from './addr.js';
import { OFPMBT_DROP, OFPMC, OFPMF, OFPMP, OFPM_ALL, OFPT } from './consts.js';
import { beginMsg, beginMultipart, endMsg, OFP_HEADER_LEN, type OfMessage } from './messages.js';

/** A meter modification. */
export type MeterMod = { command: 'add' | 'modify' | 'delete'; meter: Meter };

function checkMeter(m: Meter): void {
  if (!Number.isInteger(m.id) || m.id < 1 || m.id > 0xffff0000) throw new EncodeError(`meter id ${m.id} out of range 1..0xffff0000`);
  if (m.unit !== 'pktps' && m.unit !== 'kbps') throw new EncodeError(`meter ${m.id}: unit must be pktps or kbps`);
  if (!Number.isInteger(m.rate) || m.rate < 1 || m.rate > 0xffffffff) throw new EncodeError(`meter ${m.id}: rate ${m.rate} out of range`);
  if (m.burst !== undefined && (!Number.isInteger(m.burst) || m.burst < 0 || m.burst > 0xffffffff)) throw new EncodeError(`meter ${m.id}: burst ${m.burst} out of range`);
}

/** Encode one METER_MOD. A delete carries no bands. */
export function encodeMeterMod(w: Writer, version: number, xid: number, mod: MeterMod): void {
  const start = beginMsg(w, version, OFPT.METER_MOD, xid);
  const m = mod.meter;
  if (mod.command === 'delete') {
    w.u16(OFPMC.DELETE);
    w.u16(0);
    w.u32(m.id);
    endMsg(w, start);
    return;
  }
  checkMeter(m);
  w.u16(mod.command === 'add' ? OFPMC.ADD : OFPMC.MODIFY);
  w.u16((m.unit === 'kbps' ? OFPMF.KBPS : OFPMF.PKTPS) | (m.burst !== undefined ? OFPMF.BURST : 0) | OFPMF.STATS);
  w.u32(m.id);
  w.u16(OFPMBT_DROP);
  w.u16(16);
  w.u32(m.rate);
  w.u32(m.burst ?? 0);
  w.zero(4);
  endMsg(w, start);
}

function decodeBands(r: Reader, id: number, flags: number): Meter {
  const meter: Meter = { id, unit: flags & OFPMF.KBPS ? 'kbps' : 'pktps', rate: 0 };
  while (r.left >= 4) {
    const type = r.u16();
    const len = r.u16();
    const b = r.sub(len - 4);
    if (type === OFPMBT_DROP) {
      meter.rate = b.u32();
      const burst = b.u32();
      if (flags & OFPMF.BURST) meter.burst = burst;
    }
  }
  return meter;
}

/** Decode a METER_MOD (tests). */
export function decodeMeterMod(m: OfMessage): MeterMod {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  const cmd = r.u16();
  const flags = r.u16();
  const id = r.u32();
  const command = cmd === OFPMC.ADD ? 'add' : cmd === OFPMC.MODIFY ? 'modify' : 'delete';
  if (command === 'delete') return { command, meter: { id, unit: 'pktps', rate: 0 } };
  return { command, meter: decodeBands(r, id, flags) };
}

/** OFPMP_METER_CONFIG request for all meters. */
export function encodeMeterConfigRequest(w: Writer, version: number, xid: number): void {
  const start = beginMultipart(w, version, OFPMP.METER_CONFIG, xid);
  w.u32(OFPM_ALL);
  w.zero(4);
  endMsg(w, start);
}

/** Decode the ofp_meter_config entries of one reply body into `into`. */
export function decodeMeterConfigs(body: Reader, into: Meter[]): void {
  while (body.left >= 8) {
    const len = body.u16();
    const e = body.sub(len - 2);
    const flags = e.u16();
    const id = e.u32();
    into.push(decodeBands(e, id, flags));
  }
}
