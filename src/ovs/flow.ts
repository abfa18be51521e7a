/**
 * The OpenFlow flow model shared by the pipeline compiler (src/flows) and the
 * OpenFlow 1.3 codec (src/ovs/openflow). Pure data, no I/O.
 *
 * Ports are symbolic (`PortRef`): the compiler names ports (`internal_100`,
 * `warp0`); they are resolved to OpenFlow port numbers from OVSDB just before
 * encoding, and decoded flows carry numbers that are mapped back to names.
 *
 * Field names follow ovs-fields(7) so the text form is what `ovs-ofctl dump-flows`
 * users already read.
 */

/** A port by name (desired flows) or OpenFlow port number (decoded flows). */
export type PortRef = string | number;

/** A value with an optional mask (both in the field's natural width). */
export interface Masked<T> {
  value: T;
  mask?: T;
}

/** Match fields. Absent = wildcard. Prerequisites (eth_type, ip_proto) must be set explicitly. */
export interface FlowMatch {
  in_port?: PortRef;
  eth_src?: string; // "aa:bb:cc:dd:ee:ff"
  eth_dst?: string;
  eth_type?: number; // 0x0800, 0x86dd, 0x0806
  ip_proto?: number; // 6 tcp, 17 udp, 1 icmp, 58 icmpv6
  ipv4_src?: string; // "10.0.0.1" or "10.0.0.0/24"
  ipv4_dst?: string;
  ipv6_src?: string; // "fd00::1" or "fd00::/64"
  ipv6_dst?: string;
  tcp_src?: number;
  tcp_dst?: number;
  udp_src?: number;
  udp_dst?: number;
  tcp_flags?: Masked<number>; // NXM/OXM tcp_flags (12 bits)
  icmpv4_type?: number;
  icmpv6_type?: number;
  arp_op?: number;
  arp_spa?: string; // ARP sender IPv4
  arp_sha?: string; // ARP sender MAC
  /** NXM ip_frag: 1 = any fragment, 3 = later fragment (mask 3). */
  ip_frag?: Masked<number>;
  /** NXM nw_ttl (IP TTL / hop limit). */
  nw_ttl?: number;
  /** NXM ct_state bits: see CT_STATE below. */
  ct_state?: Masked<number>;
  ct_zone?: number;
  ct_mark?: Masked<number>;
  /** NXM registers reg0..reg15, 32-bit each. */
  regs?: Readonly<Record<number, Masked<number>>>;
  metadata?: Masked<bigint>;
}

/** ct_state bit values (ovs-fields(7)). */
export const CT_STATE = {
  new: 0x01,
  est: 0x02,
  rel: 0x04,
  rpl: 0x08,
  inv: 0x10,
  trk: 0x20,
  snat: 0x40,
  dnat: 0x80,
} as const;

/** Fields settable by set_field. */
export type SetFieldName = 'eth_src' | 'eth_dst' | 'ipv4_src' | 'ipv4_dst' | 'nw_ttl' | `reg${number}`;

/** Apply-actions. Encoded in order inside one APPLY_ACTIONS instruction. */
export type FlowAction =
  | { type: 'output'; port: PortRef }
  | { type: 'in_port' } // output back to the ingress port
  | { type: 'set_field'; field: SetFieldName; value: string | number }
  | { type: 'dec_ttl' }
  | { type: 'set_nw_ttl'; ttl: number }
  | { type: 'resubmit'; table: number; port?: PortRef } // Nicira resubmit(,table)
  | {
      type: 'ct';
      commit?: boolean;
      zone?: number;
      /** Recirculate to this table after conntrack; absent = no recirculation. */
      table?: number;
      /** Nested `nat` / `nat(src=...)`. */
      nat?: { kind: 'src' | 'dst' | 'restore'; addr?: string };
    }
  | { type: 'ct_clear' }
  | { type: 'controller'; maxLen?: number };

/** One flow. An empty `actions` list with no `gotoTable` means drop. */
export interface Flow {
  table: number;
  priority: number;
  /** 64-bit cookie; privroute's own flows carry its ownership prefix (see src/flows/cookie.ts). */
  cookie: bigint;
  match: FlowMatch;
  actions: readonly FlowAction[];
  /** METER instruction, applied before actions. */
  meter?: number;
  /** GOTO_TABLE instruction, after actions. */
  gotoTable?: number;
  idleTimeout?: number;
  hardTimeout?: number;
  /**
   * Decoded flows only (set by the OpenFlow codec when dumping): descriptions of
   * match fields, actions or instructions this model cannot represent (a flow
   * someone else installed). A flow carrying this is never re-encoded.
   */
  unsupported?: readonly string[];
}

/** A meter with one drop band. */
export interface Meter {
  id: number;
  unit: 'pktps' | 'kbps';
  rate: number;
  burst?: number;
}
