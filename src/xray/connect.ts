/**
 * Build the two HostExecs of the hop from the config: the VPS over SSH (pinned
 * host key, key file) and CT101 through the configured container runtime.
 */
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { SshExec } from '../host/ssh.js';
import { sshOptionsFromConfig } from '../host/ssh-config.js';
import { createRuntime } from '../runtime/index.js';

/**
 * The VPS executor, from the one SSH target builder (src/host/ssh-config.ts):
 * InputError (exit 2) when no key file is configured or the pinned host key is
 * malformed; an unpinned or changed host key is refused by SshExec on connect,
 * showing the fingerprint(s) and how to pin.
 */
export function vpsExecFromConfig(config: Config): SshExec {
  return new SshExec(sshOptionsFromConfig(config.plugins.privacy_router.vps));
}

/** CT101's executor through the configured runtime (pct or netns). */
export function containerExecFromConfig(config: Config): HostExec {
  const r = config.plugins.privacy_router;
  return createRuntime(r.runtime).exec(r.xray.container_id);
}
