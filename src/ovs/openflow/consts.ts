/**
 * OpenFlow 1.3/1.4 wire constants used by privroute (OpenFlow switch spec 1.3.5 /
 * 1.4.1, and Open vSwitch's Nicira/ONF extensions as documented in ovs-fields(7)
 * and ovs-actions(7)). Only what the codec needs; numbers are checked against
 * `ovs-ofctl ofp-print` in test/unit/ovs.
 */

export const OFP13_VERSION = 0x04;
export const OFP14_VERSION = 0x05;

/** Message types (identical in 1.3 and 1.4 for the ones used here, except bundles). */
export const OFPT = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  FLOW_MOD: 14,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  METER_MOD: 29,
  /** OF1.4+ native bundles. */
  BUNDLE_CONTROL: 33,
  BUNDLE_ADD_MESSAGE: 34,
} as const;

/** Reserved port numbers (32-bit, OF1.1+). */
export const OFPP = {
  MAX: 0xffffff00,
  IN_PORT: 0xfffffff8,
  TABLE: 0xfffffff9,
  NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  LOCAL: 0xfffffffe,
  ANY: 0xffffffff,
} as const;

/** Reserved port names accepted by {@link resolvePorts} and printed by the text renderer. */
export const RESERVED_PORT_NAMES: Readonly<Record<string, number>> = {
  IN_PORT: OFPP.IN_PORT,
  TABLE: OFPP.TABLE,
  NORMAL: OFPP.NORMAL,
  FLOOD: OFPP.FLOOD,
  ALL: OFPP.ALL,
  CONTROLLER: OFPP.CONTROLLER,
  LOCAL: OFPP.LOCAL,
};

export const OFPG_ANY = 0xffffffff;
export const OFPTT_ALL = 0xff;
export const OFP_NO_BUFFER = 0xffffffff;
export const OFPM_ALL = 0xffffffff;
export const OFPCML_NO_BUFFER = 0xffff;

export const OFPFC = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;
export const OFPIT = { GOTO_TABLE: 1, WRITE_METADATA: 2, WRITE_ACTIONS: 3, APPLY_ACTIONS: 4, CLEAR_ACTIONS: 5, METER: 6, EXPERIMENTER: 0xffff } as const;
export const OFPAT = {
  OUTPUT: 0,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  EXPERIMENTER: 0xffff,
} as const;

export const OFPMP = { FLOW: 1, METER_CONFIG: 10 } as const;
export const OFPMPF_MORE = 1;

export const OFPMC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const OFPMF = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 } as const;
export const OFPMBT_DROP = 1;

/** Nicira vendor id (NX actions, NX errors). */
export const NX_VENDOR_ID = 0x00002320;
/** ONF experimenter id (bundles on 1.3, ONF OXM fields). */
export const ONF_EXPERIMENTER_ID = 0x4f4e4600;
export const ONF_ET_BUNDLE_CONTROL = 2300;
export const ONF_ET_BUNDLE_ADD_MESSAGE = 2301;

/** Nicira action subtypes used here. */
export const NXAST = {
  RESUBMIT: 1,
  RESUBMIT_TABLE: 14,
  CT: 35,
  NAT: 36,
  CT_CLEAR: 43,
} as const;

export const NX_CT_F_COMMIT = 1;
export const NX_CT_F_FORCE = 2;
export const NX_CT_RECIRC_NONE = 0xff;
export const NX_NAT_F = { SRC: 1, DST: 2, PERSISTENT: 4, PROTO_HASH: 8, PROTO_RANDOM: 16 } as const;
export const NX_NAT_RANGE = { IPV4_MIN: 1, IPV4_MAX: 2, IPV6_MIN: 4, IPV6_MAX: 8, PROTO_MIN: 16, PROTO_MAX: 32 } as const;

/** Bundle control types and flags (ONF 1.3 extension and OF1.4 share them). */
export const BUNDLE = {
  OPEN_REQUEST: 0,
  OPEN_REPLY: 1,
  CLOSE_REQUEST: 2,
  CLOSE_REPLY: 3,
  COMMIT_REQUEST: 4,
  COMMIT_REPLY: 5,
  DISCARD_REQUEST: 6,
  DISCARD_REPLY: 7,
} as const;
export const BUNDLE_FLAG_ATOMIC = 1;
export const BUNDLE_FLAG_ORDERED = 2;

/** Human name of a message type, for errors and logs. */
export function typeName(type: number): string {
  for (const [k, v] of Object.entries(OFPT)) if (v === type) return `OFPT_${k}`;
  return `OFPT_${type}`;
}
