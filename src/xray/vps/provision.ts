/**
 * Provision the VPS end of the hop over a HostExec (SshExec in production):
 * observe → reconcile → apply, one named step at a time, each idempotent and
 * reported as changed/unchanged. Nothing is installed before the inbound port is
 * known to be free (or ours), and no config is written before the engine is
 * known to enforce the profile.
 *
 * Steps: detect, port, engine, capability, files, service, firewall, egress, run, listen.
 * `egress` confines the engine's client-driven connections (marked by its
 * freedom outbound) away from loopback, private and link-local ranges before the
 * engine (re)starts with a config that marks them.
 */
import { dirname } from 'node:path';
import { PreconditionError } from '../../core/errors.js';
import type { EngineInstall } from '../../config/types.js';
import type { HostExec } from '../../host/exec.js';
import { assertProfileSupported, engineName, runArgv } from '../engine.js';
import { serialize } from '../render/common.js';
import { renderServer } from '../render/server.js';
import { serviceManager } from '../service/process.js';
import type { ServiceManagerKind, ServiceSpec, ServiceStatus } from '../service/types.js';
import type { EngineInfo, StepReport, XrayMaterial, XrayProfile } from '../types.js';
import { ensureEngineConfig, ensureFile } from './files.js';
import { ensureEgress, ensureFirewall } from './firewall.js';
import { ensureEngine } from './install.js';
import type { VpsLayout } from './layout.js';
import { listenersOn, observeFacts, waitListening, type HostFacts } from './observe.js';
import { Steps } from './step.js';
import { loadedStamp, restartIfStale } from '../service/loaded.js';

/** Everything provisioning needs, resolved from config + state by the caller. */
export interface VpsDesired {
  profile: XrayProfile;
  port: number;
  install: EngineInstall;
  engineBinary: string | null;
  /** Package for install = package; default by profile (xray for REALITY, else v2ray). */
  packageName?: string;
  firewall: 'none' | 'ufw' | 'iptables';
  service: ServiceManagerKind;
  material: XrayMaterial;
  realityTarget: string;
  serverNames: readonly string[];
  /** The client engine's version (REALITY minClientVer is set to it explicitly). */
  minClientVer: string;
  upstreamDns: string;
  layout: VpsLayout;
}

export interface ProvisionReport {
  target: string;
  facts: HostFacts;
  engine: EngineInfo;
  steps: StepReport[];
  /** True when no step changed anything. */
  unchanged: boolean;
}

export interface ProvisionOptions {
  /** How long to wait for the service to listen after a restart. */
  listenTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The service definition for the engine on the VPS. */
export function vpsServiceSpec(d: VpsDesired, engine: EngineInfo): ServiceSpec {
  return {
    name: d.layout.serviceName,
    argv: runArgv(engine, engine.binary, d.layout.configPath),
    pidFile: d.layout.pidFile,
    logFile: d.layout.logFile,
    unitDir: d.layout.unitDir,
  };
}

/** The stamp of the files the VPS engine reads (config, and for vless-tls its certificate and key). */
export function vpsLoadedStamp(d: VpsDesired, config: string): string {
  return loadedStamp(d.profile === 'vless-tls' ? [config, d.material.tls.certPem, d.material.tls.keyPem] : [config]);
}

/** The server config text for `engine`. */
export function renderVpsConfig(d: VpsDesired, engine: EngineInfo): string {
  return serialize(renderServer({
    profile: d.profile, engine, port: d.port, material: d.material, apiPort: d.layout.apiPort, upstreamDns: d.upstreamDns,
    certFile: d.layout.certPath, keyFile: d.layout.keyPath, realityTarget: d.realityTarget, serverNames: d.serverNames,
    minClientVer: d.minClientVer,
  }));
}

/**
 * The port check: `d.port` must be free or held by our own service (its pid).
 * Returns our service's status. @throws PreconditionError naming the holder.
 */
export async function checkPort(exec: HostExec, d: VpsDesired): Promise<ServiceStatus> {
  const status = await serviceManager(d.service).status(exec, { name: d.layout.serviceName, argv: [], pidFile: d.layout.pidFile, logFile: d.layout.logFile, unitDir: d.layout.unitDir });
  const foreign = (await listenersOn(exec, d.port)).filter((l) => !l.processes.some((p) => p.pid === status.pid));
  if (foreign.length > 0) {
    const who = foreign.flatMap((l) => l.processes.map((p) => `${p.name} (pid ${p.pid})`)).join(', ') || 'an unknown process';
    throw new PreconditionError(
      `port ${d.port}/tcp is already taken by ${who}`,
      `free port ${d.port} on the VPS, or set vps.xray_port (and xray.vps_port) to a free port`,
    );
  }
  return status;
}

/** Provision (or verify) the VPS. Idempotent; see the module comment. */
export async function provisionVps(exec: HostExec, d: VpsDesired, opts: ProvisionOptions = {}): Promise<ProvisionReport> {
  const steps = new Steps(exec.target, 'vps');
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const mgr = serviceManager(d.service);

  const facts = await steps.run('detect', () => observeFacts(exec));
  steps.note('detect', 'unchanged', `${facts.osId} ${facts.osVersion} ${facts.arch}`);

  // Before anything is installed: the port must be free, or held by our own service.
  const before = await steps.run('port', () => checkPort(exec, d));
  steps.note('port', 'unchanged', before.active ? `${d.port}/tcp held by our service` : `${d.port}/tcp free`);

  const installed = await steps.run('engine', () => ensureEngine(exec, {
    method: d.install,
    engineBinary: d.engineBinary,
    packageName: d.packageName ?? (d.profile === 'vless-reality-vision' ? 'xray' : 'v2ray'),
    uploadPath: d.layout.uploadBinary,
  }));
  steps.note('engine', installed.changed ? 'changed' : 'unchanged', installed.detail);
  const engine = installed.engine;

  await steps.run('capability', async () => assertProfileSupported(engine, d.profile, exec.target));
  steps.note('capability', 'unchanged', `${engineName(engine)} enforces ${d.profile}`);

  const spec = vpsServiceSpec(d, engine);

  const config = renderVpsConfig(d, engine);
  const filesChanged = await steps.run('files', async () => {
    await exec.run(['install', '-d', '-m', '0700', d.layout.dir]);
    // The process manager's pidfile and log dirs (standard on real hosts; may be missing under a files_root).
    if (d.service === 'process') await exec.run(['install', '-d', '-m', '0755', dirname(d.layout.pidFile), dirname(d.layout.logFile)]);
    let changed = false;
    if (d.profile === 'vless-tls') {
      changed = (await ensureFile(exec, d.layout.certPath, d.material.tls.certPem, 0o600)) || changed;
      changed = (await ensureFile(exec, d.layout.keyPath, d.material.tls.keyPem, 0o600)) || changed;
    }
    changed = (await ensureEngineConfig(exec, engine, engine.binary, d.layout.configPath, config)) || changed;
    return changed;
  });
  steps.note('files', filesChanged ? 'changed' : 'unchanged', d.layout.configPath);

  const unitChanged = await steps.run('service', () => mgr.ensureInstalled(exec, spec));
  steps.note('service', unitChanged ? 'changed' : 'unchanged', `${mgr.kind}: ${spec.name}`);

  const fw = await steps.run('firewall', () => ensureFirewall(exec, d.firewall, d.port));
  steps.note('firewall', d.firewall === 'none' ? 'skipped' : fw ? 'changed' : 'unchanged', fw ?? d.firewall);

  const eg = await steps.run('egress', () => ensureEgress(exec, d.upstreamDns));
  steps.note('egress', eg ? 'changed' : 'unchanged', eg ?? 'engine connections confined (no loopback, private, link-local)');

  // Also restart when the running engine did not load these files (an earlier run died before its restart).
  const stamp = vpsLoadedStamp(d, config);
  const run = await restartIfStale((fn) => steps.run('run', fn), {
    exec, configPath: d.layout.configPath, stamp, changed: filesChanged || unitChanged, active: before.active, restart: () => mgr.restart(exec, spec),
  });
  steps.note('run', run.restarted ? 'changed' : 'unchanged', run.restarted ? `restarted ${spec.name}${run.staleOnly ? ' (it had not loaded the current config)' : ''}` : `${spec.name} active`);

  await steps.run('listen', () =>
    waitListening(exec, d.port, () => mgr.status(exec, spec), {
      timeoutMs: opts.listenTimeoutMs ?? 10_000,
      intervalMs: 200,
      sleep,
      onTimeout: (st, ls) => {
        const who = ls.flatMap((l) => l.processes.map((p) => `${p.name}/${p.pid}`)).join(', ');
        return new PreconditionError(
          `${spec.name} is ${st.active ? `running (pid ${st.pid})` : 'not running'} but does not listen on ${d.port}/tcp${who ? ` (held by ${who})` : ''}`,
          `look at the engine log (${mgr.kind === 'process' ? d.layout.logFile : `journalctl -u ${spec.name}`}) on the VPS`,
        );
      },
    }),
  );
  steps.note('listen', 'unchanged', `${spec.name} listens on ${d.port}/tcp`);

  return { target: exec.target, facts, engine, steps: steps.reports, unchanged: steps.reports.every((s) => s.outcome !== 'changed') };
}
