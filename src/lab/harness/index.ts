/**
 * The lab/test harness: scopes, namespaces, veth pairs, processes, a private
 * OVS, and the stale sweep. Reused by every integration test and by `privroute lab`.
 */
export { LAB_ROOT, Scope, uniquePrefix } from './scope.js';
export { createNetns, vethPair, configureLink, deleteNetns, type VethEnd } from './netns.js';
export { startProcess, waitFor, sleep, killGroup, procGone, waitGone, pidsWhere, isWireguardGoFor, type Proc, type StartOptions } from './process.js';
export { startOvs, type OvsInstance } from './ovs.js';
export { sweepStale } from './sweep.js';
