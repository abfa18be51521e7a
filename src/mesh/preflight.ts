/**
 * Up-front mesh checks for `init` / `plan`, before any component touches the
 * node: the netmaker keys (exit 2), netclient present (install steps), and —
 * only when this node is not joined yet — the token file's token (exit 2, never
 * printed) or the master-key file. Read-only.
 */
import os from 'node:os';
import type { Config } from '../config/types.js';
import type { HostExec } from '../host/exec.js';
import { readSecretFile } from '../core/secret-file.js';
import { Netclient } from './netclient.js';
import { meshSettings, readTokenFromFile } from './settings.js';

/** Throws InputError / PreconditionError; resolves when a join (or nothing) can proceed. */
export async function meshPreflight(config: Config, node: HostExec): Promise<void> {
  const s = meshSettings(config);
  const nc = new Netclient(node, s.netclient);
  await nc.ensurePresent();
  if (await nc.list(s.network)) return;
  if (s.source.kind === 'file') readTokenFromFile(s.source.file);
  else readSecretFile(s.source.masterKeyFile, 'plugins.privacy_router.netmaker.master_key_file');
}

/** netclient's host name for this node (`-o`): netmaker.node_id, else the host name. */
export function meshHostName(config: Config): string {
  return config.plugins.privacy_router.netmaker.node_id ?? os.hostname();
}
