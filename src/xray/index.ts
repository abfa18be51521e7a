/**
 * Public API of the XRay hop (src/xray). Other components import from here.
 *
 * - initXray / planXray: the whole hop for `init` / `plan`;
 * - provisionVps / planVps (+ vpsDesiredFromConfig): the VPS over a HostExec (SshExec);
 * - applyClient / planClient (+ clientDesiredFromConfig): CT101;
 * - rotateXray: `privroute rotate xray` (lockstep);
 * - probeSocks / probeService / engineStats: health;
 * - detectEngine / assertProfileSupported / CAPABILITIES: the engine check;
 * - renderServer / renderClient: the pure renderers.
 */
export { initXray, planXray, type XrayContext, type XrayInitReport, type XrayPlan } from './init.js';
export { provisionVps, vpsServiceSpec, type ProvisionReport, type VpsDesired } from './vps/provision.js';
export { vpsDesiredFromConfig } from './vps/desired.js';
export { planVps, type VpsPlan } from './vps/plan.js';
export { vpsLayout, type VpsLayout } from './vps/layout.js';
export { applyClient, planClient, clientDesiredFromConfig, clientLayout, clientServiceSpec, type ClientDesired, type ClientLayout, type ClientPlan } from './client.js';
export { rotateXray, runRotateXray, type XrayRotateContext, type RotateCliContext } from './rotate.js';
export { vpsExecFromConfig, vpsExecOverMgmtPath, containerExecFromConfig } from './connect.js';
export { observeMgmtPath, chooseMgmtPath, describeMgmtPath, type MgmtPath, type MgmtPathObservation } from './mgmt-path.js';
export { detectServiceManager } from './service/detect.js';
export { probeSocks, probeService, engineStats, socksProbeArgv, xrayHealth, type ProbeResult, type XrayHealth } from './health.js';
export { detectEngine, assertProfileSupported, supportsProfile, CAPABILITIES, engineName } from './engine.js';
export { renderServer } from './render/server.js';
export { renderClient } from './render/client.js';
export { ensureMaterial, loadMaterial, requireMaterial } from './state.js';
export type { EngineInfo, RotationReport, StepReport, XrayMaterial } from './types.js';
