/**
 * The probes `privroute plan`/`init` read on the VPS, predicted from the config,
 * so the whole observation is one batched round trip (src/host/batch.ts; issue 16).
 *
 * The list mirrors what {@link detectServiceManager} and {@link planVps} read,
 * for either service manager (which one the host runs is itself a probe) and the
 * configured engine install method. A probe left out here is still answered
 * (by the real target, one more round trip): the prediction is an optimisation,
 * never a correctness condition; the unit test proves it complete for the
 * shapes it covers.
 */
import type { Probe } from '../../host/batch.js';
import { observeArgv } from '../../net/reconcile.js';
import { engineEgressNet, vpsInboundNet } from './firewall.js';
import { versionProbes } from '../engine.js';
import { stampPath } from '../service/loaded.js';
import type { VpsDesired } from './provision.js';

/** The engine identification probes for `binary` (or the default names): banners, then the PATH lookup. */
function engineProbes(binary?: string | null): Probe[] {
  const probes: Probe[] = versionProbes(binary).map((argv) => ({ run: argv }));
  for (const name of new Set(versionProbes(binary).map((a) => a[0]!))) if (!name.startsWith('/')) probes.push({ run: ['which', name] });
  return probes;
}

/** Every read the VPS observation makes for `d` (its `service` is ignored: both managers are covered). Pure. */
export function vpsObservationProbes(d: VpsDesired): Probe[] {
  const l = d.layout;
  const unit = `${l.serviceName}.service`;
  const pkg = d.packageName ?? (d.profile === 'vless-reality-vision' ? 'xray' : 'v2ray');
  const engine: Probe[] =
    d.install === 'package'
      ? [{ run: ['dpkg-query', '-W', '-f', '${Status}', pkg] }, ...engineProbes(pkg)]
      : d.install === 'upload'
        ? [{ run: ['sha256sum', l.uploadBinary] }, ...engineProbes(l.uploadBinary)]
        : engineProbes(d.engineBinary);
  // iptables: exactly what the net reconciler reads for the NetDesired (src/net/reconcile.ts
  // observeArgv), so a family or table added there is predicted here too.
  const runs = (argv: string[][]): Probe[] => argv.map((run) => ({ run }));
  const firewall: Probe[] = d.firewall === 'ufw' ? [{ run: ['ufw', 'status'] }] : d.firewall === 'iptables' ? runs(observeArgv(vpsInboundNet(d.port))) : [];
  // The engine's egress confinement (IPv4 and IPv6), observed whatever d.firewall says.
  const egress = runs(observeArgv(engineEgressNet(d.upstreamDns)));
  return [
    { run: ['test', '-d', '/run/systemd/system'] },
    { read: '/etc/os-release' },
    { run: ['uname', '-m'] },
    // Service status, both managers (src/xray/service/process.ts, systemd.ts).
    { run: ['start-stop-daemon', '--status', '--pidfile', l.pidFile] },
    { read: l.pidFile },
    { run: ['systemctl', 'is-active', unit] },
    { run: ['systemctl', 'show', '-p', 'MainPID', '--value', unit] },
    { run: ['ss', '-ltnpH'] },
    ...engine,
    { read: l.configPath },
    ...(d.profile === 'vless-tls' ? [{ read: l.certPath }, { read: l.keyPath }] : []),
    { read: `${l.unitDir}/${unit}` },
    ...firewall,
    ...egress,
    { read: stampPath(l.configPath) },
  ];
}
