/**
 * Build the two HostExecs of the hop from the config: the VPS over SSH (pinned
 * host key, key file) and CT101 through the configured container runtime.
 */
import type { Config } from '../config/types.js';
import { InputError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { SshExec } from '../host/ssh.js';
import { createRuntime } from '../runtime/index.js';

const P = 'plugins.privacy_router';

/**
 * The VPS executor. Throws InputError when no key file is configured; an
 * unpinned or changed host key is refused by SshExec on connect, showing the
 * fingerprint(s) and how to pin.
 */
export function vpsExecFromConfig(config: Config): SshExec {
  const v = config.plugins.privacy_router.vps;
  const host = v.ssh.host ?? v.xray_server;
  if (!v.ssh.key_file) {
    throw new InputError({ path: `${P}.vps.ssh.key_file`, value: null, expected: 'expected the path of the SSH private key (0600) that logs in to the VPS' });
  }
  return new SshExec({ host, port: v.ssh.port, user: v.ssh.user, keyFile: v.ssh.key_file, hostKey: v.ssh.host_key });
}

/** CT101's executor through the configured runtime (pct or netns). */
export function containerExecFromConfig(config: Config): HostExec {
  const r = config.plugins.privacy_router;
  return createRuntime(r.runtime).exec(r.xray.container_id);
}
