/**
 * Engine detection and the capability table.
 *
 * Measured on Debian's v2ray 4.34: `v2ray -version` prints the banner and exits 0;
 * `v2ray version` prints it and then tries to read a config from stdin (exit 23
 * with stdin closed). Xray-core prints `Xray <ver> (...)` for `xray version`.
 * V2Ray accepts `security: "reality"`/`"xtls"` and `flow: "xtls-rprx-vision"`,
 * says "Configuration OK" and then serves plaintext — so a profile is refused,
 * before any config is written, unless the engine can enforce it.
 */
import { PreconditionError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { compareVersions } from './render/common.js';
import type { EngineInfo, EngineKind, XrayProfile } from './types.js';

const BANNER = /^(Xray|V2Ray) v?(\d+\.\d+\.\d+)\b.*$/m;

/** Parse a version banner; null when it is neither engine's. */
export function parseEngineBanner(out: string, binary: string): EngineInfo | null {
  const m = BANNER.exec(out);
  if (!m) return null;
  return { kind: m[1] === 'Xray' ? 'xray' : 'v2ray', version: m[2]!, binary, banner: m[0].trim() };
}

/** The argv tried, in order, to identify an engine binary (or the default names). */
export function versionProbes(binary?: string | null): string[][] {
  const names = binary ? [binary] : ['xray', 'v2ray'];
  // `-version` first: v2ray 4.x's `version` would go on to read a config from stdin.
  return names.flatMap((b) => [[b, '-version'], [b, 'version']]);
}

/**
 * Identify the engine on `exec`: the configured binary, else `xray`, else `v2ray`.
 * Returns null when none answers with a known banner.
 */
export async function detectEngine(exec: HostExec, binary?: string | null): Promise<EngineInfo | null> {
  for (const argv of versionProbes(binary)) {
    try {
      // Any exit code: v2ray 4.x prints the banner then fails reading stdin for `version`.
      const r = await exec.run(argv, { okCodes: Array.from({ length: 256 }, (_, i) => i), timeoutMs: 10_000 });
      const info = parseEngineBanner(r.stdout + '\n' + r.stderr, argv[0]!);
      if (info) return { ...info, binary: await absolutePath(exec, argv[0]!) };
    } catch {
      // Spawn failure (binary absent): try the next probe.
    }
  }
  return null;
}

/**
 * The absolute path of a PATH name on `exec` (service managers need one:
 * start-stop-daemon --exec, systemd ExecStart). Falls back to the name.
 */
async function absolutePath(exec: HostExec, name: string): Promise<string> {
  if (name.startsWith('/')) return name;
  const r = await exec.run(['which', name], { okCodes: [0, 1] }).catch(() => undefined);
  const p = r?.stdout.trim().split('\n')[0] ?? '';
  return p.startsWith('/') ? p : name;
}

/** What a profile needs: minimum version per engine able to enforce it. */
export interface ProfileRequirement {
  minVersion: Partial<Record<EngineKind, string>>;
  /** Why other engines are refused (shown in the error). */
  why: string;
}

/**
 * The capability table. REALITY and Vision exist only in Xray-core (REALITY since
 * 1.8.0); VLESS over TLS exists in both (V2Ray since 4.27.0).
 */
export const CAPABILITIES: Readonly<Record<XrayProfile, ProfileRequirement>> = {
  'vless-reality-vision': {
    minVersion: { xray: '1.8.0' },
    why: 'REALITY and xtls-rprx-vision are Xray-core features; V2Ray accepts the settings and then serves plaintext',
  },
  'vless-tls': {
    minVersion: { xray: '1.0.0', v2ray: '4.27.0' },
    why: 'VLESS appeared in V2Ray 4.27.0',
  },
};

/** Whether the profile carries UDP on this engine (measured for v2ray 4.34 + vless-tls). */
export function profileCarriesUdp(_profile: XrayProfile, _engine: EngineInfo): boolean {
  // VLESS carries UDP on both engines (v2ray 4.34: measured, DNS over the tunnel);
  // Vision carries it as XUDP on Xray.
  return true;
}

/** Human name: `Xray 25.3.6` / `V2Ray 4.34.0`. */
export function engineName(e: EngineInfo): string {
  return `${e.kind === 'xray' ? 'Xray' : 'V2Ray'} ${e.version}`;
}

/** True when `engine` can enforce `profile`. */
export function supportsProfile(engine: EngineInfo, profile: XrayProfile): boolean {
  const min = CAPABILITIES[profile].minVersion[engine.kind];
  return min !== undefined && compareVersions(engine.version, min) >= 0;
}

/** The best profile this engine can enforce, for the error's suggestion. */
export function bestProfileFor(engine: EngineInfo): XrayProfile | null {
  for (const p of ['vless-reality-vision', 'vless-tls'] as const) if (supportsProfile(engine, p)) return p;
  return null;
}

/**
 * Refuse a profile the engine cannot enforce. Call it on both ends before any
 * config is written.
 * @throws PreconditionError naming the target, engine, version, and the profile to use instead.
 */
export function assertProfileSupported(engine: EngineInfo, profile: XrayProfile, target: string): void {
  if (supportsProfile(engine, profile)) return;
  const req = CAPABILITIES[profile];
  const alt = bestProfileFor(engine);
  const need = Object.entries(req.minVersion).map(([k, v]) => `${k === 'xray' ? 'Xray-core' : 'V2Ray'} >= ${v}`).join(' or ');
  throw new PreconditionError(
    `${target}: profile "${profile}" cannot be enforced by ${engineName(engine)} (${engine.binary}): ${req.why}`,
    alt
      ? `set plugins.privacy_router.xray.profile to "${alt}" (what ${engineName(engine)} enforces), or install ${need} on ${target}`
      : `install ${need} on ${target}`,
  );
}

/** The argv that runs the engine with `configPath` in the foreground. */
export function runArgv(engine: EngineInfo, binary: string, configPath: string): string[] {
  if (engine.kind === 'v2ray' && compareVersions(engine.version, '5.0.0') < 0) return [binary, '-config', configPath];
  return [binary, 'run', '-c', configPath];
}

/** The argv that only validates `configPath` (exit 0 = valid). */
export function testArgv(engine: EngineInfo, binary: string, configPath: string): string[] {
  if (engine.kind === 'v2ray') {
    return compareVersions(engine.version, '5.0.0') < 0 ? [binary, '-test', '-config', configPath] : [binary, 'test', '-c', configPath];
  }
  return [binary, 'run', '-test', '-c', configPath];
}
