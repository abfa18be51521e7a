/**
 * OFPT_ERROR decoding into readable errors: type and code names as in the OpenFlow
 * 1.3 spec (OFPBAC_BAD_OUT_PORT, ...), ONF bundle errors on 1.3 (experimenter
 * 0x4f4e4600, codes 2300+), and the request the switch complained about (its xid,
 * type and, when the caller registered one, a description such as the flow).
 */
import { OperationError } from '../../core/errors.js';
import { Reader } from './buf.js';
import { ONF_EXPERIMENTER_ID, typeName } from './consts.js';
import { OFP_HEADER_LEN, type OfMessage } from './messages.js';

const TYPES: Record<number, [string, string, string[]]> = {
  0: ['OFPET_HELLO_FAILED', 'OFPHFC_', ['INCOMPATIBLE', 'EPERM']],
  1: ['OFPET_BAD_REQUEST', 'OFPBRC_', ['BAD_VERSION', 'BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'EPERM', 'BAD_LEN', 'BUFFER_EMPTY', 'BUFFER_UNKNOWN', 'BAD_TABLE_ID', 'IS_SLAVE', 'BAD_PORT', 'BAD_PACKET', 'MULTIPART_BUFFER_OVERFLOW']],
  2: ['OFPET_BAD_ACTION', 'OFPBAC_', ['BAD_TYPE', 'BAD_LEN', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_OUT_PORT', 'BAD_ARGUMENT', 'EPERM', 'TOO_MANY', 'BAD_QUEUE', 'BAD_OUT_GROUP', 'MATCH_INCONSISTENT', 'UNSUPPORTED_ORDER', 'BAD_TAG', 'BAD_SET_TYPE', 'BAD_SET_LEN', 'BAD_SET_ARGUMENT']],
  3: ['OFPET_BAD_INSTRUCTION', 'OFPBIC_', ['UNKNOWN_INST', 'UNSUP_INST', 'BAD_TABLE_ID', 'UNSUP_METADATA', 'UNSUP_METADATA_MASK', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_LEN', 'EPERM']],
  4: ['OFPET_BAD_MATCH', 'OFPBMC_', ['BAD_TYPE', 'BAD_LEN', 'BAD_TAG', 'BAD_DL_ADDR_MASK', 'BAD_NW_ADDR_MASK', 'BAD_WILDCARDS', 'BAD_FIELD', 'BAD_VALUE', 'BAD_MASK', 'BAD_PREREQ', 'DUP_FIELD', 'EPERM']],
  5: ['OFPET_FLOW_MOD_FAILED', 'OFPFMFC_', ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS']],
  6: ['OFPET_GROUP_MOD_FAILED', 'OFPGMFC_', []],
  7: ['OFPET_PORT_MOD_FAILED', 'OFPPMFC_', []],
  8: ['OFPET_TABLE_MOD_FAILED', 'OFPTMFC_', []],
  9: ['OFPET_QUEUE_OP_FAILED', 'OFPQOFC_', []],
  10: ['OFPET_SWITCH_CONFIG_FAILED', 'OFPSCFC_', []],
  11: ['OFPET_ROLE_REQUEST_FAILED', 'OFPRRFC_', []],
  12: ['OFPET_METER_MOD_FAILED', 'OFPMMFC_', ['UNKNOWN', 'METER_EXISTS', 'INVALID_METER', 'UNKNOWN_METER', 'BAD_COMMAND', 'BAD_FLAGS', 'BAD_RATE', 'BAD_BURST', 'BAD_BAND', 'BAD_BAND_VALUE', 'OUT_OF_METERS', 'OUT_OF_BANDS']],
  13: ['OFPET_TABLE_FEATURES_FAILED', 'OFPTFFC_', []],
  17: ['OFPET_BUNDLE_FAILED', 'OFPBFC_', []],
};
const BUNDLE_CODES = ['UNKNOWN', 'EPERM', 'BAD_ID', 'BUNDLE_EXIST', 'BUNDLE_CLOSED', 'OUT_OF_BUNDLES', 'BAD_TYPE', 'BAD_FLAGS', 'MSG_BAD_LEN', 'MSG_BAD_XID', 'MSG_UNSUP', 'MSG_CONFLICT', 'MSG_TOO_MANY', 'MSG_FAILED', 'TIMEOUT', 'BUNDLE_IN_PROGRESS'];
TYPES[17]![2] = BUNDLE_CODES;

/** Decoded OFPT_ERROR. */
export interface OfErrorInfo {
  type: number;
  code: number;
  /** Set for experimenter errors (type 0xffff). */
  experimenter?: number;
  /** e.g. "OFPET_BAD_ACTION" */
  typeName: string;
  /** e.g. "OFPBAC_BAD_OUT_PORT" */
  codeName: string;
  /** Header of the offending request echoed back in the error data, if present. */
  failedType?: number;
  failedXid?: number;
}

/** Decode an ERROR message. */
export function decodeError(m: OfMessage): OfErrorInfo {
  const r = new Reader(m.data, OFP_HEADER_LEN, m.length);
  const type = r.u16();
  const code = r.u16();
  let info: OfErrorInfo;
  if (type === 0xffff) {
    const experimenter = r.u32();
    if (experimenter === ONF_EXPERIMENTER_ID && code >= 2300 && code < 2300 + BUNDLE_CODES.length) {
      info = { type, code, experimenter, typeName: 'ONF_BUNDLE_FAILED', codeName: `OFPBFC_${BUNDLE_CODES[code - 2300]}` };
    } else {
      info = { type, code, experimenter, typeName: `EXPERIMENTER(0x${experimenter.toString(16)})`, codeName: `code ${code}` };
    }
  } else {
    const t = TYPES[type];
    const codeName = t && t[2][code] ? t[1] + t[2][code] : `${t ? t[1] : ''}code ${code}`;
    info = { type, code, typeName: t ? t[0] : `type ${type}`, codeName };
  }
  // The data holds (at least 64 bytes of) the failed request, starting with its header.
  if (r.left >= 8) {
    const d = r.bytes(r.left);
    info.failedType = d[1];
    info.failedXid = d.readUInt32BE(4);
  }
  return info;
}

/**
 * An OpenFlow request rejected by the switch. `message` reads e.g.
 * `openflow: OFPBIC_BAD_TABLE_ID (OFPET_BAD_INSTRUCTION) for OFPT_FLOW_MOD xid=12: add table=3 priority=10 ...`.
 */
export class OpenFlowError extends OperationError {
  readonly info: OfErrorInfo;
  /** Description of the request that failed (e.g. the flow), when known. */
  readonly request?: string;
  constructor(info: OfErrorInfo, request?: string, related: OpenFlowError[] = []) {
    const what = info.failedType !== undefined ? ` for ${typeName(info.failedType)} xid=${info.failedXid}` : '';
    const extra = related.length ? `\n${related.map((e) => '  caused by: ' + e.message.replace(/^openflow: /, '')).join('\n')}` : '';
    super('openflow', `${info.codeName} (${info.typeName})${what}${request ? ': ' + request : ''}${extra}`, {
      hint: 'the switch rejected the request; see the error name in the OpenFlow 1.3 spec / ovs-fields(7)',
    });
    this.info = info;
    this.request = request;
  }
}
