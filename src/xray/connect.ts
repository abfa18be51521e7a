/**
 * Build the two HostExecs of the hop from the config: the VPS over SSH (pinned
 * host key, key file) and CT101 through the configured container runtime.
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { SshExec } from '../host/ssh.js';
import { sshOptionsFromConfig } from '../host/ssh-config.js';
import { netnsPathRelayArgv } from '../host/relay.js';
import { chooseMgmtPath, describeMgmtPath, observeMgmtPath, type MgmtPath } from './mgmt-path.js';
import { nodeExec } from '../host/node.js';
import { createRuntime } from '../runtime/index.js';

/**
 * The VPS executor, from the one SSH target builder (src/host/ssh-config.ts):
 * InputError (exit 2) when no key file is configured or the pinned host key is
 * malformed; an unpinned or changed host key is refused by SshExec on connect,
 * showing the fingerprint(s) and how to pin. With a `chain` path (see
 * src/xray/mgmt-path.ts) the TCP connection leaves from CT101's namespace.
 */
export function vpsExecFromConfig(config: Config, path?: MgmtPath): SshExec {
  const via = path?.kind === 'chain' ? { proxyCommand: netnsPathRelayArgv(path.netnsPath) } : {};
  return new SshExec(sshOptionsFromConfig(config.plugins.privacy_router.vps, via));
}

/** CT101's executor through the configured runtime (pct or netns). */
export function containerExecFromConfig(config: Config): HostExec {
  const r = config.plugins.privacy_router;
  return createRuntime(r.runtime).exec(r.xray.container_id);
}

/**
 * The VPS executor over the management path in force (commands outside
 * `init`, e.g. `rotate xray`): observes CT101 and the WARP tunnel (read-only),
 * then connects through the chain when it is up. Returns the path's line too.
 */
export async function vpsExecOverMgmtPath(config: Config): Promise<{ vps: SshExec; path: MgmtPath; describe: string }> {
  const r = config.plugins.privacy_router;
  const node = nodeExec(r.runtime);
  const path = chooseMgmtPath(await observeMgmtPath(config, node, createRuntime(r.runtime, node)));
  return { vps: vpsExecFromConfig(config, path), path, describe: describeMgmtPath(path) };
}
