/**
 * One appliance node of the lab (lab code only): its config (the seed + the lab's
 * facts + its mesh identity), its mesh containers' responders, and the REAL
 * `privroute init` inside its namespace. The first node is the lab's `node`
 * (netns or pct runtime, the client's access port); further nodes (`lab up
 * --nodes N`, netns only) sit on the wan with their own chain and join the same mesh.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../host/local.js';
import type { NetnsExec } from '../host/netns.js';
import type { OvsInstance, Scope } from './harness/index.js';
import { labConfig } from './lab-config.js';
import { meshIfname, netclientExecutable, startResponder, type NetmakerServer } from './mesh-lab.js';
import { inNodeNet } from './pct-standin.js';
import { cliArgv } from './self.js';
import type { World } from './world.js';

/** What every node of the lab shares: the world, the WARP API, the Netmaker server, the VPS's SSH identity. */
export interface LabShared {
  world: World;
  warpApi: { url: string; caFile: string };
  netmaker: NetmakerServer;
  vps: { keyFile: string; hostKey: string };
}

/** One appliance node of the lab: where its config and state are, and how to run privroute on it. */
export interface LabNode {
  key: string;
  ns: string;
  configFile: string;
  stateDir: string;
  privroute(args: string[], opts?: { okCodes?: number[] }): Promise<{ stdout: string; stderr: string; code: number }>;
}

/** How to build one node. */
export interface LabNodeSpec {
  key: string;
  ns: NetnsExec;
  ovs: OvsInstance;
  /** Its containers' namespace prefix (netns runtime). */
  ctPrefix: string;
  /** Its wireguard-go interface name prefix. */
  ifPrefix: string;
  accessPort: string | null;
  /** Its own XRay server port on the VPS (null: the seed's). */
  vpsPort: number | null;
  /** pct: the stand-in's template and environment (containers made by init; no responders in them yet). */
  pct?: { template: string; env: Record<string, string> };
  /** Runs right before `privroute init` (tests put a foreign guest on the node). */
  beforeInit?: () => Promise<void>;
}

/** Progress logger of one lab step. */
export type LabStep = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** Write the node's config, start its mesh responders, run `privroute init` (throws unless it converged). */
export async function buildNode(scope: Scope, step: LabStep, log: (l: string) => void, sh: LabShared, n: LabNodeSpec): Promise<LabNode> {
  const dir = path.join(scope.dir, n.key === 'node' ? '' : n.key);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const iface = meshIfname(scope.prefix, n.key);
  const netclient = netclientExecutable(scope, n.key, sh.netmaker.caFile, iface);
  const cfg = labConfig({
    prefix: n.ifPrefix, dir, ovs: { dbEndpoint: n.ovs.dbEndpoint, rundir: n.ovs.rundir }, warpApi: sh.warpApi, vps: sh.vps, accessPort: n.accessPort, pctTemplate: n.pct?.template,
    mesh: { serverUrl: sh.netmaker.url, caFile: sh.netmaker.caFile, masterKeyFile: sh.netmaker.masterKeyFile, netclient, iface, nodeId: `lab-${n.key}` },
  }) as { plugins: { privacy_router: Record<string, any> } };
  const r = cfg.plugins.privacy_router;
  r.runtime = { ...r.runtime, netns_prefix: n.ctPrefix };
  if (n.vpsPort !== null) {
    r.xray = { ...r.xray, vps_port: n.vpsPort };
    r.vps = { ...r.vps, xray_port: n.vpsPort };
  }
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(cfg, null, 2), { mode: 0o600 });
  const stateDir = path.join(dir, 'state');
  const env = n.pct?.env;
  const privroute = (args: string[], opts: { okCodes?: number[] } = {}) =>
    // pct: the node's network namespace with this machine's mounts (LXC needs its cgroups).
    spawnArgv(`netns:${n.ns.name}`, [...(n.pct ? inNodeNet(n.ns.name) : ['ip', 'netns', 'exec', n.ns.name]), ...cliArgv(), '--config', configFile, '--state-dir', stateDir, ...args], { timeoutMs: 900_000, okCodes: opts.okCodes, env });
  // The mesh containers answer on their function ports (real traffic for the function-routing proof).
  // pct: the containers do not exist before init, and their template has no HTTP server: no responders there.
  if (!n.pct) {
    for (const [id, port, fn] of [[200, 8080, 'vector_db'], [201, 9000, 'bucket_storage']] as const) {
      await startResponder(scope, { ns: `${n.ctPrefix}${id}`, port, body: `${fn}@${n.key}`, name: `resp-${n.key}-${id}` });
    }
  }
  if (n.beforeInit) await step('before init (caller)', n.beforeInit);
  const init = await step(`privroute init (inside the ${n.key} namespace)`, () => privroute(['init'], { okCodes: [0, 1] }));
  for (const l of init.stderr.split('\n').filter(Boolean)) log(`     ${l}`);
  if (init.code !== 0) throw new Error(`privroute init did not converge on ${n.key} in the lab (its report is above)`);
  return { key: n.key, ns: n.ns.name, configFile, stateDir, privroute };
}
