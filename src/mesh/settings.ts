/**
 * The mesh's settings resolved from `plugins.privacy_router.netmaker`, checked
 * before anything is touched (exit 2 naming the key and the fix). Pure apart
 * from reading the 0600 secret files it names.
 */
import type { Config } from '../config/types.js';
import { InputError, type InputProblem } from '../core/errors.js';
import { readSecretFile } from '../core/secret-file.js';
import { parseEnrollmentToken, type EnrollmentToken } from './token.js';

const ROOT = 'plugins.privacy_router.netmaker';

/** Where the enrollment token comes from. */
export type TokenSource = { kind: 'file'; file: string } | { kind: 'master-key'; serverUrl: string; masterKeyFile: string; caFile: string | null };

/** Everything the mesh component needs from config. */
export interface MeshSettings {
  network: string;
  /** netclient's WireGuard interface (`-I`). */
  meshIface: string;
  /** The OVS internal port on the chain bridge (nm-privacy). */
  bridgePort: string;
  netclient: string;
  restart: readonly string[];
  source: TokenSource;
}

/** Check the netmaker section and resolve it. Throws InputError (exit 2) listing every problem. */
export function meshSettings(config: Config): MeshSettings {
  const n = config.plugins.privacy_router.netmaker;
  const problems: InputProblem[] = [];
  let source: TokenSource | undefined;
  if (n.token_file && (n.server_url || n.master_key_file)) {
    problems.push({ path: `${ROOT}.token_file`, value: n.token_file, expected: 'either token_file, or server_url with master_key_file — not both' });
  } else if (n.token_file) {
    source = { kind: 'file', file: n.token_file };
  } else if (n.server_url && n.master_key_file) {
    if (!/^https:\/\//.test(n.server_url)) problems.push({ path: `${ROOT}.server_url`, value: n.server_url, expected: 'the server API URL over https (https://api.<your netmaker domain>); the master key never travels in clear' });
    source = { kind: 'master-key', serverUrl: n.server_url.replace(/\/+$/, ''), masterKeyFile: n.master_key_file, caFile: n.api_ca_file };
  } else if (n.server_url || n.master_key_file) {
    const missing = n.server_url ? 'master_key_file' : 'server_url';
    problems.push({ path: `${ROOT}.${missing}`, value: null, expected: `set ${missing} too: a token is minted with the server URL and its master key together` });
  } else {
    problems.push({ path: `${ROOT}.token_file`, value: null, expected: 'a 0600 file holding an enrollment token (Netmaker UI → Enrollment Keys), or server_url + master_key_file' });
  }
  if (problems.length || !source) throw new InputError(problems, { hint: 'fix the netmaker keys in the config, or set netmaker.enabled to false' });
  return { network: n.network_name, meshIface: n.mesh_interface, bridgePort: n.interface, netclient: n.netclient, restart: n.restart, source };
}

/** Read and check the token of a file source (exit 2 on a malformed token; the token is never printed). */
export function readTokenFromFile(file: string): EnrollmentToken {
  return parseEnrollmentToken(readSecretFile(file, `${ROOT}.token_file`), `${ROOT}.token_file (${file})`);
}
