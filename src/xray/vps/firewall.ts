/**
 * Opening the inbound port when privroute manages the VPS firewall
 * (`vps.firewall`): ufw gets one `allow <port>/tcp`; iptables gets a
 * privroute-owned chain holding exactly one ACCEPT for the port, jumped to from
 * INPUT. Nothing else is opened, and no policy is changed (an SSH lock-out is
 * not ours to cause).
 */
import type { HostExec } from '../../host/exec.js';

export const FW_CHAIN = 'PRIVROUTE-XRAY';

/** Ensure the port is open; returns a description of what changed, or null if nothing did. */
export async function ensureFirewall(exec: HostExec, kind: 'none' | 'ufw' | 'iptables', port: number): Promise<string | null> {
  if (kind === 'none') return null;
  if (kind === 'ufw') {
    const st = await exec.run(['ufw', 'status']);
    if (new RegExp(`^${port}/tcp\\s+ALLOW`, 'm').test(st.stdout)) return null;
    await exec.run(['ufw', 'allow', `${port}/tcp`]);
    return `ufw allow ${port}/tcp`;
  }
  const changes: string[] = [];
  const exists = await exec.run(['iptables', '-w', '-S', FW_CHAIN], { okCodes: [0, 1] });
  if (exists.code !== 0) {
    await exec.run(['iptables', '-w', '-N', FW_CHAIN]);
    changes.push(`created chain ${FW_CHAIN}`);
  }
  const want = `-A ${FW_CHAIN} -p tcp -m tcp --dport ${port} -j ACCEPT`;
  const rules = exists.code === 0 ? exists.stdout.split('\n').filter((l) => l.startsWith(`-A ${FW_CHAIN} `)) : [];
  // Remove what we no longer want (an old port) before checking what is missing.
  for (const r of rules.filter((r) => r !== want)) {
    await exec.run(['iptables', '-w', '-D', FW_CHAIN, ...r.split(' ').slice(2)]);
    changes.push(`removed ${r}`);
  }
  if (!rules.includes(want)) {
    await exec.run(['iptables', '-w', '-A', FW_CHAIN, '-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', 'ACCEPT']);
    changes.push(`accept tcp/${port}`);
  }
  const jump = await exec.run(['iptables', '-w', '-C', 'INPUT', '-j', FW_CHAIN], { okCodes: [0, 1] });
  if (jump.code !== 0) {
    await exec.run(['iptables', '-w', '-I', 'INPUT', '1', '-j', FW_CHAIN]);
    changes.push(`INPUT -> ${FW_CHAIN}`);
  }
  return changes.length ? changes.join(', ') : null;
}
