/**
 * From the config's `vps` section to {@link SshOptions}: the one place that
 * decides which host, port, user, key and pinned host key the VPS executor uses.
 */
import { InputError, type InputProblem } from '../core/errors.js';
import type { VpsConfig } from '../config/types.js';
import type { SshOptions } from './ssh.js';
import { normalizeFingerprint } from './ssh-errors.js';

/**
 * SshOptions for the VPS. `vps.ssh.host` defaults to `vps.xray_server`.
 * `vps.ssh.key_file` is required here (only commands that reach the VPS call
 * this). A null `vps.ssh.host_key` is allowed: the first connection is then
 * refused with the server's fingerprint and how to pin it (no trust on first use).
 * @throws InputError listing every problem (exit 2).
 */
export function sshOptionsFromConfig(vps: VpsConfig, extra: Partial<SshOptions> = {}): SshOptions {
  const problems: InputProblem[] = [];
  const host = vps.ssh.host ?? vps.xray_server;
  if (!host) problems.push({ path: 'plugins.privacy_router.vps.ssh.host', expected: 'expected the VPS address (or set vps.xray_server)' });
  if (!vps.ssh.key_file) {
    problems.push({ path: 'plugins.privacy_router.vps.ssh.key_file', expected: 'expected the path of the private key privroute uses to reach the VPS (mode 0600), e.g. /etc/privroute/vps_ed25519' });
  }
  if (vps.ssh.host_key !== null && normalizeFingerprint(vps.ssh.host_key) === null) {
    problems.push({ path: 'plugins.privacy_router.vps.ssh.host_key', value: vps.ssh.host_key, expected: `expected SHA256:<43 base64 chars>, as printed by: ssh-keyscan -p ${vps.ssh.port} ${host} | ssh-keygen -lf -` });
  }
  if (problems.length) throw new InputError(problems);
  return { host, port: vps.ssh.port, user: vps.ssh.user, keyFile: vps.ssh.key_file!, hostKey: vps.ssh.host_key, ...extra };
}
