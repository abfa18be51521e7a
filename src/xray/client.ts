/**
 * The XRay client in CT101 (through the container runtime's HostExec):
 * engine present and able to enforce the profile, the client config at 0600,
 * the engine process, and the network hardening of {@link ./client-net.ts}.
 * `planClient` is read-only (what `privroute plan` shows); `applyClient` is
 * idempotent and reports changed/unchanged per step.
 */
import { dirname } from 'node:path';
import type { Config } from '../config/types.js';
import { PreconditionError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { portByRole, type Topology } from '../topology/addressing.js';
import { assertProfileSupported, detectEngine, engineName, profileCarriesUdp, runArgv } from './engine.js';
import { serialize } from './render/common.js';
import { renderClient, type ClientRenderInput } from './render/client.js';
import { serviceManager } from './service/process.js';
import type { ServiceManagerKind, ServiceSpec } from './service/types.js';
import type { EngineInfo, StepReport, XrayMaterial, XrayProfile } from './types.js';
import { applyClientNet, observeClientNet, planClientNet, type ClientNetDesired, type NetChange } from './client-net.js';
import { ensureEngineConfig, ensureFile, readText } from './vps/files.js';
import { waitListening } from './vps/observe.js';
import { Steps } from './vps/step.js';
import { loadedIsStale, loadedStamp, restartIfStale } from './service/loaded.js';

/** Paths in the container. `root` prefixes them (lab namespaces share this filesystem). */
export interface ClientLayout {
  dir: string;
  configPath: string;
  certPath: string;
  serviceName: string;
  pidFile: string;
  logFile: string;
  unitDir: string;
  apiPort: number;
}

/** The default client layout, optionally under `root`. */
export function clientLayout(root = '', apiPort = 10085): ClientLayout {
  const dir = `${root}/etc/privroute-xray`;
  return {
    dir, configPath: `${dir}/client.json`, certPath: `${dir}/vps.crt`, serviceName: 'privroute-xray-client',
    pidFile: `${root}/run/privroute-xray-client.pid`, logFile: `${root}/var/log/privroute-xray-client.log`,
    unitDir: `${root}/etc/systemd/system`, apiPort,
  };
}

/** Everything the client needs, resolved from config + state. */
export interface ClientDesired {
  profile: XrayProfile;
  net: ClientNetDesired;
  socketIp: string;
  socksPort: number;
  vpsAddress: string;
  vpsPort: number;
  upstreamDns: string;
  realityServerName: string;
  material: XrayMaterial;
  mark: number;
  /** Engine binary in the container; null = xray, else v2ray on PATH. */
  engineBinary: string | null;
  service: ServiceManagerKind;
  layout: ClientLayout;
}

/** SO_MARK put on the client's connections to the VPS. */
export const DEFAULT_MARK = 0x6b;

/** Resolve the client's desired state from the config and the appliance's topology (pure). */
export function clientDesiredFromConfig(config: Config, topo: Topology, material: XrayMaterial, o: { service?: ServiceManagerKind; layout?: ClientLayout; engineBinary?: string | null } = {}): ClientDesired {
  const r = config.plugins.privacy_router;
  const xray = portByRole(topo, 'xray');
  const warp = portByRole(topo, 'warp');
  const gw = portByRole(topo, 'gateway');
  if (!xray || !warp || !gw) {
    throw new PreconditionError('the XRay client needs the xray, warp and wireguard sockets in the address plan', 'enable xray, warp and wireguard in the config');
  }
  return {
    profile: r.xray.profile,
    net: { socketIf: r.xray.socket_port, clientSubnet: r.wireguard.subnet, warpIp: warp.ip, gatewayIp: gw.ip, transparentPort: r.xray.transparent_port, dnsPort: r.xray.dns_port },
    socketIp: xray.ip,
    socksPort: r.xray.socks_port,
    vpsAddress: r.xray.vps_address,
    vpsPort: r.xray.vps_port,
    upstreamDns: r.xray.upstream_dns,
    realityServerName: r.vps.reality_server_names[0] ?? '',
    material,
    mark: DEFAULT_MARK,
    engineBinary: o.engineBinary ?? null,
    service: o.service ?? 'systemd',
    layout: o.layout ?? clientLayout(),
  };
}

/** The renderer input for `engine`. */
export function clientRenderInput(d: ClientDesired, engine: EngineInfo): ClientRenderInput {
  return {
    profile: d.profile, engine, vpsAddress: d.vpsAddress, vpsPort: d.vpsPort, material: d.material, socketIp: d.socketIp,
    socksPort: d.socksPort, transparentPort: d.net.transparentPort, dnsPort: d.net.dnsPort, upstreamDns: d.upstreamDns,
    apiPort: d.layout.apiPort, mark: d.mark, certFile: d.layout.certPath, realityServerName: d.realityServerName,
    udp: profileCarriesUdp(d.profile, engine),
  };
}

/** The service definition of the client engine. */
export function clientServiceSpec(d: ClientDesired, engine: EngineInfo): ServiceSpec {
  return { name: d.layout.serviceName, argv: runArgv(engine, engine.binary, d.layout.configPath), pidFile: d.layout.pidFile, logFile: d.layout.logFile, unitDir: d.layout.unitDir };
}

/** The stamp of the files the client engine reads (config, and for vless-tls the pinned certificate). */
export function clientLoadedStamp(d: ClientDesired, config: string): string {
  return loadedStamp(d.profile === 'vless-tls' ? [config, d.material.tls.certPem] : [config]);
}

/** A read-only plan: what applyClient would change. */
export interface ClientPlan {
  engine: EngineInfo;
  configChanged: boolean;
  certChanged: boolean;
  serviceActive: boolean;
  /** The running engine did not load the desired files (an earlier run died before its restart). */
  loadedStale: boolean;
  net: NetChange[];
}

async function engineOf(exec: HostExec, d: ClientDesired, known?: EngineInfo | null): Promise<EngineInfo> {
  const engine = known !== undefined ? known : await detectEngine(exec, d.engineBinary);
  if (!engine) {
    throw new PreconditionError(`no proxy engine in the container (neither xray nor v2ray answers)`, 'install xray (or v2ray for vless-tls) in the XRay container');
  }
  assertProfileSupported(engine, d.profile, exec.target);
  return engine;
}

/**
 * Observe CT101 and compute what would change. Read-only; the reads run concurrently.
 * `engine`: what {@link detectEngine} already found on `exec` this run (not detected again).
 */
export async function planClient(exec: HostExec, d: ClientDesired, engine?: EngineInfo | null): Promise<ClientPlan> {
  const steps = new Steps(exec.target, 'client');
  const [found, configText, certText, observedNet] = await Promise.all([
    steps.run('capability', () => engineOf(exec, d, engine)),
    readText(exec, d.layout.configPath),
    d.profile === 'vless-tls' ? readText(exec, d.layout.certPath) : undefined,
    steps.run('observe', () => observeClientNet(exec, d.net)),
  ]);
  const config = serialize(renderClient(clientRenderInput(d, found)));
  const configChanged = configText !== config;
  const certChanged = d.profile === 'vless-tls' && certText !== d.material.tls.certPem;
  const [st, loadedStale] = await Promise.all([
    serviceManager(d.service).status(exec, clientServiceSpec(d, found)),
    loadedIsStale(exec, d.layout.configPath, clientLoadedStamp(d, config)),
  ]);
  const net = planClientNet(d.net, observedNet);
  return { engine: found, configChanged, certChanged, serviceActive: st.active, loadedStale, net };
}

/** Apply the client side. Idempotent: a second run reports every step unchanged. */
export async function applyClient(exec: HostExec, d: ClientDesired, opts: { listenTimeoutMs?: number } = {}): Promise<{ engine: EngineInfo; steps: StepReport[]; unchanged: boolean }> {
  const steps = new Steps(exec.target, 'client');
  const mgr = serviceManager(d.service);
  const engine = await steps.run('capability', () => engineOf(exec, d));
  steps.note('capability', 'unchanged', `${engineName(engine)} enforces ${d.profile}`);

  // Hardening first: forwarding off before anything else can carry client traffic.
  const net = await steps.run('network', async () => {
    const changes = planClientNet(d.net, await observeClientNet(exec, d.net));
    await applyClientNet(exec, changes);
    return changes;
  });
  steps.note('network', net.length ? 'changed' : 'unchanged', net.map((c) => c.describe).join('; ') || 'hardened');

  const spec = clientServiceSpec(d, engine);
  const config = serialize(renderClient(clientRenderInput(d, engine)));
  const files = await steps.run('files', async () => {
    await exec.run(['install', '-d', '-m', '0700', d.layout.dir]);
    if (d.service === 'process') await exec.run(['install', '-d', '-m', '0755', dirname(d.layout.pidFile), dirname(d.layout.logFile)]);
    let changed = false;
    if (d.profile === 'vless-tls') changed = (await ensureFile(exec, d.layout.certPath, d.material.tls.certPem, 0o600)) || changed;
    return (await ensureEngineConfig(exec, engine, engine.binary, d.layout.configPath, config)) || changed;
  });
  steps.note('files', files ? 'changed' : 'unchanged', d.layout.configPath);

  const unit = await steps.run('service', () => mgr.ensureInstalled(exec, spec));
  steps.note('service', unit ? 'changed' : 'unchanged', `${mgr.kind}: ${spec.name}`);
  const before = await mgr.status(exec, spec);
  // Also restart when the running engine did not load these files (an earlier run died before its restart).
  const stamp = clientLoadedStamp(d, config);
  const run = await restartIfStale((fn) => steps.run('run', fn), {
    exec, configPath: d.layout.configPath, stamp, changed: files || unit, active: before.active, restart: () => mgr.restart(exec, spec),
  });
  steps.note('run', run.restarted ? 'changed' : 'unchanged', run.restarted ? `restarted ${spec.name}` : `${spec.name} active`);

  await steps.run('listen', () =>
    waitListening(exec, d.socksPort, () => mgr.status(exec, spec), {
      timeoutMs: opts.listenTimeoutMs ?? 10_000,
      intervalMs: 200,
      onTimeout: () => new PreconditionError(`${spec.name} does not listen on 127.0.0.1:${d.socksPort}`, `look at ${d.layout.logFile} (or journalctl -u ${spec.name}) in the container`),
    }),
  );
  steps.note('listen', 'unchanged', `SOCKS on 127.0.0.1:${d.socksPort}`);
  return { engine, steps: steps.reports, unchanged: steps.reports.every((s) => s.outcome !== 'changed') };
}
