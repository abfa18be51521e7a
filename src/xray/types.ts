/**
 * Shared types of the XRay hop: engines, secrets ("material"), layouts of the
 * files on each end, and the step reports every apply returns.
 */
import type { XrayProfile } from '../config/types.js';

export type { XrayProfile };

/** The proxy engine found on a host. */
export type EngineKind = 'xray' | 'v2ray';

/** What `xray version` / `v2ray -version` reported. */
export interface EngineInfo {
  kind: EngineKind;
  /** `major.minor.patch` as printed (Xray uses dates: 25.3.6). */
  version: string;
  /** Binary that answered (absolute path or a PATH name). */
  binary: string;
  /** The first line of the version output, for messages. */
  banner: string;
}

/** One VLESS user. `email` is the stable handle used to remove it at runtime. */
export interface VlessUser {
  uuid: string;
  email: string;
}

/** REALITY X25519 key pair, base64 RawURL (no padding). */
export interface RealityKeys {
  privateKey: string;
  publicKey: string;
}

/** Self-signed TLS certificate (PEM) of the VPS, pinned by the client. */
export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

/**
 * Every secret of the hop, as persisted in the state store. `generation`
 * numbers the client identity; rotation bumps it. During a rotation the
 * server accepts `serverUsers` (old + new) while the client uses `clientUser`.
 */
export interface XrayMaterial {
  generation: number;
  /** Users the server must accept (one normally, two mid-rotation). */
  serverUsers: VlessUser[];
  /** The user the client presents. Always one of serverUsers. */
  clientUser: VlessUser;
  /** REALITY shortIds the server accepts; the client uses clientShortId. */
  shortIds: string[];
  clientShortId: string;
  reality: RealityKeys;
  tls: TlsMaterial;
}

/** Where an outcome of one idempotent step landed. */
export type StepOutcome = 'changed' | 'unchanged' | 'skipped';

/** One step of an apply, as printed by `init`/`rotate`. */
export interface StepReport {
  step: string;
  target: string;
  outcome: StepOutcome;
  detail?: string;
}

/** The result of `privroute rotate xray`. */
export interface RotationReport {
  kind: 'xray';
  fromGeneration: number;
  toGeneration: number;
  /** How each end took the change: `hot` (engine API, no connection dropped) or `restart`. */
  serverMethod: 'hot' | 'restart';
  clientMethod: 'hot' | 'restart';
  steps: StepReport[];
}
