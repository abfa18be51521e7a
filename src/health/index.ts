/**
 * Health of the appliance, hop by hop (what `privroute status` and the daemon
 * report). Read-only everywhere.
 */
export { collectStatus, renderStatus, guarded, netmakerHealth, type StatusOptions } from './status.js';
export { hopFrom, hopFailed, type HopHealth, type HopName, type StatusReport } from './types.js';
export { judgeOvs, ovsHealth } from './ovs.js';
export { macRotationCapability, unreachableLinks, type Capability, type MacRotationCapability } from './capabilities.js';
export { judgeFlows, verifiedProtections, flowsHealth } from './flows.js';
export { judgeGateway, gatewayHealth } from './gateway.js';
export { warpHopHealth } from './warp.js';
export { xrayHopHealth } from './xray.js';
