/**
 * Getting the engine onto the VPS, by `vps.engine_install`:
 * - `package`: the distro package (`apt-get install -y <pkg>`), only if missing;
 * - `upload`: the node's binary `vps.engine_binary`, written atomically at 0755,
 *   only when its SHA-256 differs from what is there;
 * - `present`: `vps.engine_binary` must already be an executable on the VPS;
 * - `none`: an engine must already be on PATH.
 * Returns the binary to run and whether anything changed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PreconditionError } from '../../core/errors.js';
import type { EngineInstall } from '../../config/types.js';
import type { HostExec } from '../../host/exec.js';
import { detectEngine } from '../engine.js';
import type { EngineInfo } from '../types.js';

export interface InstallInput {
  method: EngineInstall;
  /** upload: local path on the node; present: path on the VPS; else ignored. */
  engineBinary: string | null;
  /** package: the Debian package name (xray or v2ray). */
  packageName: string;
  /** upload: where the binary goes on the VPS. */
  uploadPath: string;
}

export interface InstallResult {
  engine: EngineInfo;
  changed: boolean;
  detail: string;
}

const isExecutable = async (exec: HostExec, p: string) => (await exec.run(['test', '-x', p], { okCodes: [0, 1] })).code === 0;

/** Ensure the engine is installed; see the module comment. Throws PreconditionError when it cannot be. */
export async function ensureEngine(exec: HostExec, i: InstallInput): Promise<InstallResult> {
  switch (i.method) {
    case 'package': {
      const q = await exec.run(['dpkg-query', '-W', '-f', '${Status}', i.packageName], { okCodes: [0, 1] });
      let changed = false;
      if (!q.stdout.includes('install ok installed')) {
        const env = { DEBIAN_FRONTEND: 'noninteractive' };
        await exec.run(['apt-get', 'update'], { env, timeoutMs: 300_000 });
        await exec.run(['apt-get', 'install', '-y', '--no-install-recommends', i.packageName], { env, timeoutMs: 600_000 });
        changed = true;
      }
      const engine = await detectEngine(exec, i.packageName);
      if (!engine) throw new PreconditionError(`package ${i.packageName} is installed but "${i.packageName} -version" prints no engine banner`, 'check the package on the VPS');
      return { engine, changed, detail: `${changed ? 'installed' : 'package present'}: ${i.packageName} ${engine.version}` };
    }
    case 'upload': {
      if (!i.engineBinary) throw new PreconditionError('vps.engine_install is "upload" but vps.engine_binary is not set', 'set vps.engine_binary to the engine binary on this node');
      const local = await readFile(i.engineBinary).catch((e: Error) => {
        throw new PreconditionError(`cannot read the engine binary ${i.engineBinary}: ${e.message}`, 'set vps.engine_binary to a readable file on this node');
      });
      const want = createHash('sha256').update(local).digest('hex');
      const have = await exec.run(['sha256sum', i.uploadPath], { okCodes: [0, 1] });
      const changed = have.code !== 0 || have.stdout.split(/\s+/)[0] !== want;
      if (changed) await exec.writeFile(i.uploadPath, local, 0o755); // atomic: temp + rename
      const engine = await detectEngine(exec, i.uploadPath);
      if (!engine) throw new PreconditionError(`the uploaded ${i.uploadPath} prints no engine banner (wrong architecture?)`, 'upload a Linux build of xray or v2ray for the VPS architecture');
      return { engine, changed, detail: `${changed ? 'uploaded' : 'binary up to date'}: ${i.uploadPath} (${engine.kind} ${engine.version})` };
    }
    case 'present': {
      if (!i.engineBinary) throw new PreconditionError('vps.engine_install is "present" but vps.engine_binary is not set', 'set vps.engine_binary to the engine path on the VPS');
      if (!(await isExecutable(exec, i.engineBinary))) {
        throw new PreconditionError(`engine binary ${i.engineBinary} is not an executable file`, 'install xray or v2ray there, or fix vps.engine_binary');
      }
      const engine = await detectEngine(exec, i.engineBinary);
      if (!engine) throw new PreconditionError(`${i.engineBinary} is not xray or v2ray (no version banner)`, 'point vps.engine_binary at an xray or v2ray binary');
      return { engine, changed: false, detail: `present: ${i.engineBinary} (${engine.kind} ${engine.version})` };
    }
    case 'none': {
      const engine = await detectEngine(exec, i.engineBinary);
      if (!engine) {
        throw new PreconditionError(
          'no proxy engine installed (neither xray nor v2ray answers) and vps.engine_install is "none"',
          'install xray (or v2ray for vless-tls) on the VPS, or set vps.engine_install to "package" or "upload"',
        );
      }
      return { engine, changed: false, detail: `found ${engine.binary} (${engine.kind} ${engine.version})` };
    }
  }
}
