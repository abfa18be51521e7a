/**
 * systemd service manager: a privroute-owned unit (the engines' own units run
 * their default config path as a dynamic user, which cannot read a 0600 root
 * config), enabled so it survives reboots.
 */
import type { HostExec } from '../../host/exec.js';
import type { ServiceManager, ServiceSpec, ServiceStatus } from './types.js';

/** Render the unit text. Pure. argv elements are quoted for systemd's own parser. */
export function renderUnit(spec: ServiceSpec): string {
  const q = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return [
    '# Managed by privroute. Local changes are overwritten.',
    '[Unit]',
    `Description=privroute proxy engine (${spec.name})`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${spec.argv.map(q).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2',
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_ADMIN',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const unitPath = (spec: ServiceSpec) => `${spec.unitDir}/${spec.name}.service`;
const ANY = Array.from({ length: 256 }, (_, i) => i);

export const systemdManager: ServiceManager = {
  kind: 'systemd',
  async ensureInstalled(exec: HostExec, spec: ServiceSpec): Promise<boolean> {
    const want = renderUnit(spec);
    const have = await exec.readFile(unitPath(spec)).then((b) => b.toString('utf8'), () => null);
    let changed = false;
    if (have !== want) {
      await exec.writeFile(unitPath(spec), want, 0o644);
      await exec.run(['systemctl', 'daemon-reload']);
      changed = true;
    }
    const enabled = await exec.run(['systemctl', 'is-enabled', `${spec.name}.service`], { okCodes: ANY });
    if (enabled.stdout.trim() !== 'enabled') {
      await exec.run(['systemctl', 'enable', `${spec.name}.service`]);
      changed = true;
    }
    return changed;
  },
  async status(exec: HostExec, spec: ServiceSpec): Promise<ServiceStatus> {
    const r = await exec.run(['systemctl', 'is-active', `${spec.name}.service`], { okCodes: ANY });
    if (r.stdout.trim() !== 'active') return { active: false, pid: null };
    const p = await exec.run(['systemctl', 'show', '-p', 'MainPID', '--value', `${spec.name}.service`]);
    const pid = Number(p.stdout.trim());
    return { active: true, pid: pid > 0 ? pid : null };
  },
  async restart(exec: HostExec, spec: ServiceSpec): Promise<void> {
    await exec.run(['systemctl', 'restart', `${spec.name}.service`]);
  },
  async stop(exec: HostExec, spec: ServiceSpec): Promise<void> {
    await exec.run(['systemctl', 'stop', `${spec.name}.service`]);
  },
};
