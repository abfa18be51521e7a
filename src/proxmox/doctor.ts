/**
 * `privroute doctor`, the pure half: from what was observed on the node (see
 * doctor-observe.ts) to one check per precondition of `privroute init` on a Proxmox
 * node: PVE version, kernel WireGuard, OVS, template, storage, Node version, free
 * container ids, the chain bridge, the VPS reachable with its pinned key. No I/O here.
 */
import type { Config } from '../config/types.js';
import type { ContainerSpec } from '../runtime/types.js';
import { bridgeProblem, type BridgePortSeen } from './bridge-guard.js';

/** What the node showed; each field is what one read-only probe returned (null = the probe failed). */
export interface NodeObservation {
  /** `pveversion` stdout, or null when it is not there (not a Proxmox node). */
  pveversion: string | null;
  /** The kernel's wireguard module is present (built in or loadable). */
  wireguardModule: boolean;
  /** OVS version from OVSDB, or the error text when OVSDB did not answer. */
  ovs: { version: string } | { error: string };
  /** Ports of the configured bridge (null: the bridge does not exist or OVSDB did not answer). */
  bridgePorts: BridgePortSeen[] | null;
  /** Volume ids `pveam list <storage>` shows for the template's storage, or the error. */
  templates: string[] | { error: string };
  /** `pvesm status` rows, or the error. */
  storages: { name: string; type: string; status: string }[] | { error: string };
  /** The running Node.js version (process.versions.node). */
  nodeVersion: string;
  /** `pct list` rows (vmid, name), or the error. */
  containers: { id: number; name: string }[] | { error: string };
  /** The VPS answered over SSH with the pinned host key; or why not; 'disabled' when xray is off. */
  vps: 'ok' | 'disabled' | { error: string };
}

/** One line of the doctor's report. */
export interface DoctorCheck {
  name: 'pve' | 'wireguard' | 'ovs' | 'bridge' | 'template' | 'storage' | 'node' | 'container-ids' | 'vps';
  ok: boolean;
  /** What is there (ok) or what is missing (not ok). */
  detail: string;
  /** How to fix it (only when not ok). */
  fix?: string;
}

/** The oldest Proxmox VE privroute supports (dev0 passthrough arrived in 8.1; 8.0 uses raw lxc lines). */
export const MIN_PVE: readonly [number, number] = [8, 0];
/** The oldest Node.js major privroute runs on. */
export const MIN_NODE_MAJOR = 20;

const errOf = <T>(v: T | { error: string }): string | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v ? (v as { error: string }).error : null;

function pveCheck(text: string | null): DoctorCheck {
  const m = text === null ? null : /pve-manager\/(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return { name: 'pve', ok: false, detail: text === null ? '`pveversion` is not there: this is not a Proxmox VE node' : `cannot read the version from ${JSON.stringify(text.trim())}`, fix: 'run privroute on a Proxmox VE 8 or 9 node' };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const v = `${m[1]}.${m[2]}${m[3] ? '.' + m[3] : ''}`;
  if (major < MIN_PVE[0] || (major === MIN_PVE[0] && minor < MIN_PVE[1])) return { name: 'pve', ok: false, detail: `Proxmox VE ${v} is older than ${MIN_PVE.join('.')}`, fix: 'upgrade the node to Proxmox VE 8 or 9' };
  return { name: 'pve', ok: true, detail: `Proxmox VE ${v}${major === 8 && minor < 1 ? ' (no dev0: /dev/net/tun through raw lxc lines)' : ''}` };
}

function wireguardCheck(config: Config, present: boolean): DoctorCheck {
  const wg = config.plugins.privacy_router.wireguard;
  if (!wg.enabled) return { name: 'wireguard', ok: true, detail: 'gateway disabled in the config' };
  if (present) return { name: 'wireguard', ok: true, detail: `kernel module present (backend ${wg.backend})` };
  if (wg.backend === 'userspace') return { name: 'wireguard', ok: true, detail: 'no kernel module; backend userspace (wireguard-go is pushed into the gateway container)' };
  return { name: 'wireguard', ok: false, detail: 'no wireguard kernel module, and wireguard.backend is kernel', fix: 'boot the Proxmox kernel (it has WireGuard built in), or set plugins.privacy_router.wireguard.backend to "userspace"' };
}

function ovsCheck(config: Config, o: NodeObservation['ovs']): DoctorCheck {
  if ('version' in o) return { name: 'ovs', ok: true, detail: `Open vSwitch ${o.version} answers at ${config.plugins.privacy_router.ovs.db}` };
  return { name: 'ovs', ok: false, detail: `OVSDB at ${config.plugins.privacy_router.ovs.db} does not answer: ${o.error}`, fix: 'apt install openvswitch-switch (and systemctl enable --now openvswitch-switch)' };
}

function bridgeCheck(config: Config, ports: BridgePortSeen[] | null, desired: readonly string[]): DoctorCheck {
  const r = config.plugins.privacy_router;
  if (ports === null) return { name: 'bridge', ok: true, detail: `bridge ${r.bridge_name} does not exist yet (init creates it)` };
  const p = bridgeProblem(r.bridge_name, ports, desired, r.wireguard.access_port);
  if (p) return { name: 'bridge', ok: false, detail: `bridge ${r.bridge_name} already carries ports that are not privroute's: ${JSON.stringify(p.value)}`, fix: p.expected };
  return { name: 'bridge', ok: true, detail: `bridge ${r.bridge_name} carries only privroute's ports (${ports.length})` };
}

function templateCheck(config: Config, t: NodeObservation['templates']): DoctorCheck {
  const want = config.plugins.privacy_router.runtime.template;
  if (!want) return { name: 'template', ok: false, detail: 'no template in the config', fix: 'set plugins.privacy_router.runtime.template, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst' };
  const e = errOf(t);
  const [storage, file] = want.split(':vztmpl/') as [string, string];
  const fix = `pveam update && pveam download ${storage} ${file}`;
  if (e !== null) return { name: 'template', ok: false, detail: `cannot list the templates on storage ${storage}: ${e}`, fix };
  return (t as string[]).includes(want) ? { name: 'template', ok: true, detail: `${want} is downloaded` } : { name: 'template', ok: false, detail: `${want} is not downloaded`, fix };
}

function storageCheck(config: Config, s: NodeObservation['storages']): DoctorCheck {
  const want = config.plugins.privacy_router.runtime.storage;
  const e = errOf(s);
  if (e !== null) return { name: 'storage', ok: false, detail: `\`pvesm status\` failed: ${e}`, fix: 'check the node\'s storage configuration (pvesm status)' };
  const row = (s as { name: string; type: string; status: string }[]).find((x) => x.name === want);
  if (!row) return { name: 'storage', ok: false, detail: `storage ${want} does not exist`, fix: `set plugins.privacy_router.runtime.storage to one of: ${(s as { name: string }[]).map((x) => x.name).join(', ') || '(none)'}` };
  if (row.status !== 'active') return { name: 'storage', ok: false, detail: `storage ${want} is ${row.status}`, fix: `activate storage ${want} (pvesm set ${want} --disable 0)` };
  return { name: 'storage', ok: true, detail: `storage ${want} (${row.type}) is active` };
}

function nodeCheck(v: string): DoctorCheck {
  const major = Number(/^v?(\d+)/.exec(v)?.[1] ?? 0);
  if (major >= MIN_NODE_MAJOR) return { name: 'node', ok: true, detail: `Node.js ${v}` };
  return { name: 'node', ok: false, detail: `Node.js ${v} is older than ${MIN_NODE_MAJOR}`, fix: 'install Node.js 20 or newer (see deploy/install.sh: NodeSource\'s node_20.x repository on Debian 12)' };
}

function idsCheck(specs: readonly ContainerSpec[], c: NodeObservation['containers']): DoctorCheck {
  const e = errOf(c);
  if (e !== null) return { name: 'container-ids', ok: false, detail: `\`pct list\` failed: ${e}`, fix: 'check that pct works on this node' };
  const rows = c as { id: number; name: string }[];
  const taken = specs.filter((s) => rows.some((r) => r.id === s.id && r.name !== s.hostname));
  const ours = specs.filter((s) => rows.some((r) => r.id === s.id && r.name === s.hostname));
  if (taken.length) {
    const what = taken.map((s) => `${s.id} (held by ${JSON.stringify(rows.find((r) => r.id === s.id)!.name)}, privroute wants ${s.hostname})`).join(', ');
    return { name: 'container-ids', ok: false, detail: `container id(s) taken: ${what}`, fix: 'choose free ids in the config (wireguard.container_id, xray.container_id, containers[].id); see `pct list`' };
  }
  const free = specs.filter((s) => !ours.includes(s));
  return { name: 'container-ids', ok: true, detail: [free.length ? `free: ${free.map((s) => s.id).join(', ')}` : '', ours.length ? `already privroute's: ${ours.map((s) => s.id).join(', ')}` : ''].filter(Boolean).join('; ') || 'no containers configured' };
}

function vpsCheck(config: Config, v: NodeObservation['vps']): DoctorCheck {
  const x = config.plugins.privacy_router;
  if (v === 'disabled') return { name: 'vps', ok: true, detail: 'XRay hop disabled in the config' };
  const where = `${x.vps.ssh.user}@${x.vps.ssh.host ?? x.vps.xray_server}:${x.vps.ssh.port}`;
  if (v === 'ok') return { name: 'vps', ok: true, detail: `${where} answers with the pinned host key ${x.vps.ssh.host_key}` };
  return { name: 'vps', ok: false, detail: `${where}: ${v.error}`, fix: 'set vps.ssh.key_file (0600) and vps.ssh.host_key (ssh-keyscan <host> | ssh-keygen -lf -), and make sure the node reaches the VPS' };
}

/**
 * Pure: every check, in the order the report prints them. `specs` are the containers init
 * would create (desiredContainers), `portNames` the OVS ports it would create.
 */
export function planChecks(config: Config, o: NodeObservation, specs: readonly ContainerSpec[], portNames: readonly string[]): DoctorCheck[] {
  return [
    pveCheck(o.pveversion),
    wireguardCheck(config, o.wireguardModule),
    ovsCheck(config, o.ovs),
    bridgeCheck(config, o.bridgePorts, portNames),
    templateCheck(config, o.templates),
    storageCheck(config, o.storages),
    nodeCheck(o.nodeVersion),
    idsCheck(specs, o.containers),
    vpsCheck(config, o.vps),
  ];
}

/** Pure: the human report, one line per check (`ok  ` or `MISS`), with the fix indented under a missing one. */
export function formatChecks(checks: readonly DoctorCheck[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'MISS'} ${c.name.padEnd(13)} ${c.detail}${c.ok || !c.fix ? '' : `\n     ${''.padEnd(13)} fix: ${c.fix}`}`)
    .join('\n');
}
