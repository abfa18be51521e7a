/**
 * `privroute plan` for the VPS: what {@link provisionVps} would change, read-only
 * (no install, no write, no restart). Outcome `changed` means "would change".
 * The same refusals as provisioning (engine missing with install none, profile
 * not enforceable, port taken) are raised here too.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PreconditionError } from '../../core/errors.js';
import type { HostExec } from '../../host/exec.js';
import { assertProfileSupported, detectEngine, engineName } from '../engine.js';
import { renderUnit } from '../service/systemd.js';
import { serviceManager } from '../service/process.js';
import type { EngineInfo, StepReport } from '../types.js';
import { readText } from './files.js';
import { engineEgressNet, observeEgress, observeFirewall, planFirewall } from './firewall.js';
import { planNet } from '../../net/reconcile.js';
import { observeFacts } from './observe.js';
import { checkPort, renderVpsConfig, vpsLoadedStamp, vpsServiceSpec, type VpsDesired } from './provision.js';
import { Steps } from './step.js';
import { loadedIsStale } from '../service/loaded.js';
import { observeBatch, type SnapshotExec } from '../../host/batch.js';
import { detectServiceManager } from '../service/detect.js';
import type { ServiceManagerKind } from '../service/types.js';
import { vpsObservationProbes } from './probes.js';

/** The read-only plan of the VPS. */
export interface VpsPlan {
  target: string;
  engine: EngineInfo | null;
  steps: StepReport[];
  unchanged: boolean;
}

/** Observe the VPS and report what provisioning would do. */
export async function planVps(exec: HostExec, d: VpsDesired): Promise<VpsPlan> {
  const steps = new Steps(exec.target, 'vps');
  const facts = await steps.run('detect', () => observeFacts(exec));
  steps.note('detect', 'unchanged', `${facts.osId} ${facts.osVersion} ${facts.arch}`);

  const status = await steps.run('port', () => checkPort(exec, d));
  steps.note('port', 'unchanged', `${d.port}/tcp ${status.active ? 'held by our service' : 'free'}`);

  const pkg = d.packageName ?? (d.profile === 'vless-reality-vision' ? 'xray' : 'v2ray');
  const { engine, install } = await steps.run('engine', async () => {
    if (d.install === 'package') {
      const q = await exec.run(['dpkg-query', '-W', '-f', '${Status}', pkg], { okCodes: [0, 1] });
      if (!q.stdout.includes('install ok installed')) return { engine: null, install: `would install package ${pkg}` };
      return { engine: await detectEngine(exec, pkg), install: null };
    }
    if (d.install === 'upload') {
      const local = await readFile(d.engineBinary ?? '').catch(() => null);
      if (!local) throw new PreconditionError(`cannot read the engine binary ${d.engineBinary}`, 'set vps.engine_binary to a readable file on this node');
      const have = await exec.run(['sha256sum', d.layout.uploadBinary], { okCodes: [0, 1] });
      const same = have.code === 0 && have.stdout.split(/\s+/)[0] === createHash('sha256').update(local).digest('hex');
      return same ? { engine: await detectEngine(exec, d.layout.uploadBinary), install: null } : { engine: null, install: `would upload ${d.engineBinary}` };
    }
    const e = await detectEngine(exec, d.engineBinary);
    if (!e) throw new PreconditionError(`no proxy engine installed${d.engineBinary ? ` at ${d.engineBinary}` : ''} and vps.engine_install is "${d.install}"`, 'install xray (or v2ray for vless-tls) on the VPS, or set vps.engine_install to "package" or "upload"');
    return { engine: e, install: null };
  });
  steps.note('engine', install ? 'changed' : 'unchanged', install ?? `${engine ? engineName(engine) : '?'}`);

  if (!engine) {
    steps.note('capability', 'skipped', 'checked after the install');
    for (const s of ['files', 'service', 'egress', 'run']) steps.note(s, 'changed', 'after the install');
    return { target: exec.target, engine, steps: steps.reports, unchanged: false };
  }
  await steps.run('capability', async () => assertProfileSupported(engine, d.profile, exec.target));
  steps.note('capability', 'unchanged', `${engineName(engine)} enforces ${d.profile}`);

  const mgr = serviceManager(d.service);
  const spec = vpsServiceSpec(d, engine);

  const files = await steps.run('files', async () => {
    const stale: string[] = [];
    if ((await readText(exec, d.layout.configPath)) !== renderVpsConfig(d, engine)) stale.push(d.layout.configPath);
    if (d.profile === 'vless-tls') {
      if ((await readText(exec, d.layout.certPath)) !== d.material.tls.certPem) stale.push(d.layout.certPath);
      if ((await readText(exec, d.layout.keyPath)) !== d.material.tls.keyPem) stale.push(d.layout.keyPath);
    }
    return stale;
  });
  steps.note('files', files.length ? 'changed' : 'unchanged', files.length ? `would write ${files.join(', ')}` : d.layout.configPath);

  const unit = mgr.kind === 'systemd' && (await readText(exec, `${spec.unitDir}/${spec.name}.service`)) !== renderUnit(spec);
  steps.note('service', unit ? 'changed' : 'unchanged', `${mgr.kind}: ${spec.name}`);

  const fw = planFirewall(d.firewall, d.port, await steps.run('firewall', () => observeFirewall(exec, d.firewall, d.port)));
  steps.note('firewall', d.firewall === 'none' ? 'skipped' : fw.length ? 'changed' : 'unchanged', fw.map((c) => c.describe).join(', ') || d.firewall);

  // The engine's egress confinement (provision's `egress` step): a drift here is a change too.
  const egress = planNet(engineEgressNet(d.upstreamDns), await steps.run('egress', () => observeEgress(exec, d.upstreamDns)));
  steps.note('egress', egress.length ? 'changed' : 'unchanged', egress.length ? `${egress.length} egress rule change(s)` : 'engine connections confined (no loopback, private, link-local)');

  const stale = await steps.run('run', () => loadedIsStale(exec, d.layout.configPath, vpsLoadedStamp(d, renderVpsConfig(d, engine))));
  const restart = files.length > 0 || unit || !status.active || stale;
  steps.note('run', restart ? 'changed' : 'unchanged', restart ? `would restart ${spec.name}${stale && files.length === 0 && !unit && status.active ? ' (it has not loaded the current config)' : ''}` : `${spec.name} active`);
  return { target: exec.target, engine, steps: steps.reports, unchanged: steps.reports.every((s) => s.outcome !== 'changed') };
}

/**
 * {@link planVps} with the whole VPS read in ONE round trip: every probe of
 * {@link vpsObservationProbes} runs in one batched exec, then the service manager
 * is detected (unless `service` is given) and the plan computed on the snapshot.
 * `desired` builds the VPS's desired state for the detected manager. Read-only.
 * Returns the snapshot too (its `misses` name any probe that cost another round trip).
 */
export async function planVpsBatched(
  exec: HostExec,
  desired: (service: ServiceManagerKind) => VpsDesired,
  service?: ServiceManagerKind,
): Promise<{ plan: VpsPlan; snapshot: SnapshotExec }> {
  const snapshot = await observeBatch(exec, vpsObservationProbes(desired(service ?? 'systemd')));
  const plan = await planVps(snapshot, desired(service ?? (await detectServiceManager(snapshot))));
  return { plan, snapshot };
}
