/**
 * Named register fields of the privroute pipeline (Antrea-style "register marks").
 *
 * Registers are per-packet scratch space that survives `goto_table` and
 * `resubmit`. Giving each one a name and a value table here means no builder ever
 * writes a bare `reg0=3`: it writes `matchSourceClass('mesh')`.
 *
 *   reg0  SOURCE_CLASS  which kind of port the packet entered on (set in classification)
 *   reg1  OUTPUT_PORT   the object id of the port the packet should leave on (set by the
 *                       chain / function-routing stages, consumed by the output stage)
 */
import type { FlowAction, FlowMatch, Masked } from '../ovs/flow.js';

/** Register index of the source-class mark. */
export const REG_SOURCE_CLASS = 0;
/** Register index of the output-port mark (an object id, see addressing.ts). */
export const REG_OUTPUT_PORT = 1;

/**
 * Source classes, written into reg0 by the classification stage.
 * - privacy:      a chain socket inside a container (WireGuard gateway, XRay client)
 * - mesh:         a mesh container socket (vector_db, bucket_storage, ...)
 * - chain_uplink: warp0, the chain's only way out of the node
 * - mesh_uplink:  nm-privacy, the Netmaker interface
 * - access:       an optional client access port (lab / bare metal) that may only reach the gateway
 */
export const SOURCE_CLASS = {
  privacy: 1,
  mesh: 2,
  chain_uplink: 3,
  mesh_uplink: 4,
  access: 5,
} as const;

export type SourceClass = keyof typeof SOURCE_CLASS;

/** Classes whose traffic is handled by the privacy-chain stage (never by function routing). */
export const CHAIN_CLASSES: readonly SourceClass[] = ['privacy', 'chain_uplink', 'access'];
/** Classes whose traffic is handled by the function-routing (mesh) stage. */
export const MESH_CLASSES: readonly SourceClass[] = ['mesh', 'mesh_uplink'];

const FULL: Masked<number> = { value: 0 };

/** `regs` entry matching reg0 == class. */
export function matchSourceClass(c: SourceClass): FlowMatch['regs'] {
  return { [REG_SOURCE_CLASS]: { ...FULL, value: SOURCE_CLASS[c] } };
}

/** `regs` entry matching reg1 == port object id. */
export function matchOutputPort(objectId: number): FlowMatch['regs'] {
  return { [REG_OUTPUT_PORT]: { ...FULL, value: objectId } };
}

/** Action writing the source class into reg0. */
export function setSourceClass(c: SourceClass): FlowAction {
  return { type: 'set_field', field: `reg${REG_SOURCE_CLASS}`, value: SOURCE_CLASS[c] };
}

/** Action writing the output port's object id into reg1. */
export function setOutputPort(objectId: number): FlowAction {
  return { type: 'set_field', field: `reg${REG_OUTPUT_PORT}`, value: objectId };
}
