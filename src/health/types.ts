/**
 * The shape of `privroute status`: one honest health record per hop, the
 * protections actually in force, and an overall verdict. Pure data (JSON-ready).
 */
import type { Protection } from '../flows/protections.js';

/** Hop names, in chain order (netmaker only when enabled). */
export type HopName = 'ovs' | 'flows' | 'gateway' | 'warp' | 'xray' | 'netmaker';

/** One hop's health. `ok` is true only when every check of the hop passed. */
export interface HopHealth {
  hop: HopName;
  ok: boolean;
  /** One human line: what is wrong, or what was verified. */
  detail: string;
  /** The individual checks behind the verdict (each ok/detail). */
  checks: { name: string; ok: boolean; detail: string }[];
  /** Hop-specific facts (ports, peers, handshake ages...). No secrets. */
  data?: Record<string, unknown>;
}

/** The whole status. */
export interface StatusReport {
  /** True iff every hop is ok. */
  ok: boolean;
  /** ISO time the status was collected. */
  at: string;
  hops: HopHealth[];
  /** The protections the config requests, with their real status (see src/flows/protections.ts). */
  protections: Protection[];
  /** Whether rotations that depend on this node's layout can work (null = could not be checked). */
  capabilities: { macRotation: { available: boolean | null; reason?: string; lastRotation?: string | null; macs?: Record<string, string>; pending?: string } };
  /** The newest rotations of every kind (src/rotation/history.ts), newest first. */
  rotations?: { id: number; kind: string; subject: string | null; startedAt: string; finishedAt: string | null; outcome: string | null }[];
}

/** Build a hop record from its checks: ok iff all checks are ok; detail = the failed checks, else `okDetail`. */
export function hopFrom(hop: HopName, checks: HopHealth['checks'], okDetail: string, data?: Record<string, unknown>): HopHealth {
  const failed = checks.filter((c) => !c.ok);
  return {
    hop,
    ok: failed.length === 0 && checks.length > 0,
    detail: failed.length ? failed.map((c) => c.detail).join('; ') : okDetail,
    checks,
    ...(data ? { data } : {}),
  };
}

/** A hop whose check threw: failed, with the message. */
export function hopFailed(hop: HopName, e: unknown): HopHealth {
  const msg = (e as Error)?.message ?? String(e);
  return { hop, ok: false, detail: `check failed: ${msg.split('\n')[0]}`, checks: [{ name: `${hop}.check`, ok: false, detail: msg }] };
}
