/**
 * Resolve the VPS's desired state from the config and the stored material.
 */
import type { Config } from '../../config/types.js';
import type { ServiceManagerKind } from '../service/types.js';
import type { EngineInfo, XrayMaterial } from '../types.js';
import { vpsLayout, type VpsLayout } from './layout.js';
import type { VpsDesired } from './provision.js';

export interface VpsDesiredOptions {
  /** systemd (default) or process (hosts without systemd, the lab). */
  service?: ServiceManagerKind;
  layout?: VpsLayout;
  /** The client's engine: REALITY's minClientVer is set to its version, explicitly. */
  clientEngine?: EngineInfo | null;
}

/** Build {@link VpsDesired} from `config` + `material`. Pure. */
export function vpsDesiredFromConfig(config: Config, material: XrayMaterial, o: VpsDesiredOptions = {}): VpsDesired {
  const r = config.plugins.privacy_router;
  return {
    profile: r.xray.profile,
    port: r.vps.xray_port,
    install: r.vps.engine_install,
    engineBinary: r.vps.engine_binary,
    firewall: r.vps.firewall,
    service: o.service ?? 'systemd',
    material,
    realityTarget: r.vps.reality_target,
    serverNames: r.vps.reality_server_names,
    // Without a known client, the oldest Xray with REALITY: explicit, never the engine default.
    minClientVer: o.clientEngine?.kind === 'xray' ? o.clientEngine.version : '1.8.0',
    upstreamDns: r.xray.upstream_dns,
    layout: o.layout ?? vpsLayout(),
  };
}
