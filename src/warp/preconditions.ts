/**
 * Preconditions of the WARP hop on the node: a TUN device and a WireGuard
 * implementation privroute can drive (wireguard-go). Each failure is a
 * PreconditionError whose hint is the fix.
 */
import { PreconditionError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';

/** What was found; `backend` is the implementation warp0 will use. */
export interface WarpPreconditions {
  tun: boolean;
  wireguardGo: string | null;
  kernelWireguard: boolean;
}

/** Probe the target (read-only). */
export async function probeWarpPreconditions(exec: HostExec): Promise<WarpPreconditions> {
  const tun = (await exec.run(['test', '-c', '/dev/net/tun'], { okCodes: [0, 1] })).code === 0;
  const kernelWireguard = (await exec.run(['test', '-d', '/sys/module/wireguard'], { okCodes: [0, 1] })).code === 0;
  let wireguardGo: string | null = null;
  try {
    const r = await exec.run(['wireguard-go', '--version'], { okCodes: [0, 1, 2] });
    wireguardGo = /wireguard-go\s+(v?[\w.-]+)/.exec(r.stdout + r.stderr)?.[1] ?? null;
  } catch {
    wireguardGo = null; // not on PATH (spawn error / ip netns exec exit 255)
  }
  return { tun, wireguardGo, kernelWireguard };
}

/** Throw the first unmet precondition as a PreconditionError with its fix. */
export function requireWarpPreconditions(p: WarpPreconditions, target: string): void {
  if (!p.tun) {
    throw new PreconditionError(
      `/dev/net/tun is missing on ${target}: wireguard-go cannot create the WARP tunnel`,
      'on the node: modprobe tun (and add "tun" to /etc/modules); if privroute runs in an LXC container: pct set <id> --dev0 /dev/net/tun, then restart the container',
    );
  }
  if (!p.wireguardGo) {
    throw new PreconditionError(
      `no usable WireGuard implementation on ${target}: wireguard-go is not installed${p.kernelWireguard ? ' (kernel WireGuard is loaded, but warp0 is driven through wireguard-go\'s UAPI)' : ' and kernel WireGuard is not loaded'}`,
      'apt install wireguard-go (Debian/Proxmox package), then run privroute init again',
    );
  }
}
