/**
 * The Proxmox container runtime: LXC containers managed with `pct` on the node
 * (see ../../shared/reference/proxmox.md and pve-container's pct.pm).
 *
 * - create: `pct create <id> <template> --hostname H --unprivileged 1
 *   --features nesting=1 --rootfs <storage>:<GiB> --memory <MiB>`, plus
 *   `--onboot 1 --startup order=N` when the spec has a startup order, plus
 *   `--dev0 /dev/net/tun` when a TUN device is needed and PVE ≥ 8.1; on older PVE
 *   the two raw `lxc.*` lines are appended to /etc/pve/lxc/<id>.conf instead.
 *   No `net0`: the container's only uplink is the OVS internal port moved in.
 * - status: `pct status <id>` → `status: running|stopped`; a missing CT fails
 *   with "... does not exist".
 * - netns: the init pid from `lxc-info -n <id> -p`, namespace /proc/<pid>/ns/net;
 *   a link moves there with `ip link set dev X netns <pid>`.
 */
import { ExecError, type HostExec } from '../host/exec.js';
import { OperationError, InputError } from '../core/errors.js';
import { PctExec } from '../host/pct.js';
import type { ContainerId, ContainerRuntime, ContainerSpec, ContainerStatus } from './types.js';
import { checkId, checkIfname, checkSpec } from './validate.js';

/** Options for {@link PctRuntime}. */
export interface PctRuntimeOptions {
  /** The Proxmox node (LocalExec when privroute runs on it). */
  node: HostExec;
  /** Node-side dir for PctExec staging files. */
  tmpDir?: string;
  /** Skip `pveversion` detection (tests, or a known node). Format `8.1.4`. */
  pveVersion?: string;
  /** Where the node keeps CT configs. Default /etc/pve/lxc (a test root for the stand-in). */
  confDir?: string;
  /** Defaults for specs that leave them out (config `runtime.template` / `runtime.storage`). */
  defaults?: { template?: string | null; storage?: string };
}

/** Raw LXC lines that give an unprivileged CT /dev/net/tun on PVE < 8.1. */
export const LEGACY_TUN_LINES = [
  'lxc.cgroup2.devices.allow: c 10:200 rwm',
  'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
] as const;

/** Parse `pveversion` output (`pve-manager/8.1.4/<hash> (running kernel: ...)`) into [major, minor]. */
export function parsePveVersion(text: string): [number, number] {
  const m = /pve-manager\/(\d+)\.(\d+)/.exec(text);
  if (!m) throw new OperationError('runtime:pct', `cannot parse the Proxmox version from ${JSON.stringify(text.trim())}`, { hint: 'is this a Proxmox VE node? `pveversion` should print pve-manager/X.Y.Z/...' });
  return [Number(m[1]), Number(m[2])];
}

/** Parse `pct config` output (`key: value` lines). */
export function parsePctConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9._-]+): (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** True if a CT config (`pct config` text) passes /dev/net/tun in: a `devN` entry, or both legacy raw lxc lines. */
export function hasTun(configText: string): boolean {
  const lines = configText.split('\n').map((l) => l.trimEnd());
  return lines.some((l) => /^dev\d+: \/dev\/net\/tun(,|$)/.test(l)) || LEGACY_TUN_LINES.every((l) => lines.includes(l));
}

/**
 * Throw unless the existing CT (its `pct config` text) may serve as `spec`: the
 * same hostname (else it is someone else's: OperationError, as before), and for a
 * chain hop no `netN` of its own (InputError, exit 2): a CT101 with its own
 * gateway has a path out that skips the VPS, e.g. after a reboot before privroute
 * re-applies its routes. Only the current config counts, not snapshot sections.
 */
export function checkExisting(spec: ContainerSpec, configText: string): void {
  const id = spec.id;
  const conf = parsePctConfig(configText.split(/^\[/m)[0]!);
  if (conf.hostname !== spec.hostname) {
    throw new OperationError('runtime:pct', `container ${id} already exists with hostname ${JSON.stringify(conf.hostname ?? '')}, expected ${JSON.stringify(spec.hostname)}`, {
      hint: `container ${id} is not privroute's: choose a free container id in the config (see \`pct list\`), or remove CT ${id} yourself`,
    });
  }
  const nets = Object.keys(conf).filter((k) => /^net\d+$/.test(k)).sort();
  if (spec.chain && nets.length > 0) {
    throw new InputError({
      path: `container ${id} (${spec.hostname})`,
      value: nets.map((k) => `${k}: ${conf[k]}`).join('; '),
      expected: `a chain container has no network device of its own (its only link is privroute's OVS socket); remove ${nets.length === 1 ? 'it' : 'them'}: pct set ${id} --delete ${nets.join(',')} && pct reboot ${id}`,
    });
  }
}

/** Proxmox LXC containers via `pct`. */
export class PctRuntime implements ContainerRuntime {
  readonly kind = 'pct' as const;
  private readonly node: HostExec;
  private readonly tmpDir?: string;
  private readonly confDir: string;
  private version?: [number, number];
  private readonly defaults: { template?: string | null; storage?: string };

  constructor(opts: PctRuntimeOptions) {
    this.node = opts.node;
    this.defaults = opts.defaults ?? {};
    this.tmpDir = opts.tmpDir;
    this.confDir = opts.confDir ?? '/etc/pve/lxc';
    if (opts.pveVersion) this.version = parsePveVersion(`pve-manager/${opts.pveVersion}/`);
  }

  async status(id: ContainerId): Promise<ContainerStatus> {
    checkId(id);
    try {
      const r = await this.node.run(['pct', 'status', String(id)]);
      const m = /^status: (\w+)/m.exec(r.stdout);
      if (m?.[1] === 'running') return 'running';
      if (m?.[1] === 'stopped') return 'stopped';
      throw new OperationError('runtime:pct', `unexpected \`pct status ${id}\` output ${JSON.stringify(r.stdout.trim())}`);
    } catch (e) {
      if (e instanceof ExecError && /does not exist/.test(e.stderr)) return 'missing';
      throw e;
    }
  }

  async exists(id: ContainerId): Promise<boolean> {
    return (await this.status(id)) !== 'missing';
  }

  /** The node's Proxmox version (cached). */
  async pveVersion(): Promise<[number, number]> {
    this.version ??= parsePveVersion((await this.node.run(['pveversion'])).stdout);
    return this.version;
  }

  /** Create the CT if missing (not started). An existing CT with another hostname is refused, never touched. */
  async ensure(given: ContainerSpec): Promise<'created' | 'unchanged'> {
    const spec: ContainerSpec = {
      ...given,
      template: given.template ?? this.defaults.template ?? undefined,
      storage: given.storage ?? this.defaults.storage,
    };
    checkSpec(spec);
    const id = String(spec.id);
    const text = await this.configText(spec.id);
    if (text !== null) {
      checkExisting(spec, text);
      if (spec.tun && !hasTun(text)) {
        // Adding a device needs a restart of a running service container: say so rather than do it behind the user's back.
        throw new OperationError('runtime:pct', `container ${id} exists but has no /dev/net/tun, which ${spec.hostname} needs`, {
          hint: `PVE ≥ 8.1: pct set ${id} --dev0 /dev/net/tun && pct reboot ${id}; older: add ${LEGACY_TUN_LINES.join(' / ')} to /etc/pve/lxc/${id}.conf`,
        });
      }
      return 'unchanged';
    }
    if (!spec.template) {
      throw new InputError({ path: 'template', expected: `expected an OS template to create container ${id} (config runtime.template); list them with \`pveam list local\`, fetch one with \`pveam download local <template>\`` });
    }
    const tunArgs: string[] = [];
    let legacyTun = false;
    if (spec.tun) {
      const [major, minor] = await this.pveVersion();
      if (major > 8 || (major === 8 && minor >= 1)) tunArgs.push('--dev0', '/dev/net/tun');
      else legacyTun = true;
    }
    await this.node.run([
      'pct', 'create', id, spec.template,
      '--hostname', spec.hostname,
      '--unprivileged', '1',
      '--features', 'nesting=1',
      '--rootfs', `${spec.storage ?? 'local-lvm'}:${spec.diskGb ?? 4}`,
      '--memory', String(spec.memoryMb ?? 512),
      ...(spec.startupOrder !== undefined ? ['--onboot', '1', '--startup', `order=${spec.startupOrder}`] : []),
      ...tunArgs,
    ], { timeoutMs: 300_000 });
    if (legacyTun) await this.addLegacyTun(spec.id);
    return 'created';
  }

  async verifyExisting(spec: ContainerSpec): Promise<void> {
    checkSpec(spec);
    const text = await this.configText(spec.id);
    if (text !== null) checkExisting(spec, text);
  }

  /** `pct config <id>` text, or null when the CT does not exist. Read-only. */
  private async configText(id: ContainerId): Promise<string | null> {
    if (!(await this.exists(id))) return null;
    return (await this.node.run(['pct', 'config', String(id)])).stdout;
  }

  /** Append the raw /dev/net/tun lines to /etc/pve/lxc/<id>.conf (PVE < 8.1), once. */
  private async addLegacyTun(id: ContainerId): Promise<void> {
    const file = `${this.confDir}/${id}.conf`;
    const text = (await this.node.readFile(file)).toString('utf8');
    const missing = LEGACY_TUN_LINES.filter((l) => !text.split('\n').includes(l));
    if (missing.length === 0) return;
    // Raw lxc.* keys belong before any [snapshot] section.
    const i = text.search(/^\[/m);
    const head = i < 0 ? text : text.slice(0, i);
    const tail = i < 0 ? '' : text.slice(i);
    const next = head.replace(/\n*$/, '\n') + missing.join('\n') + '\n' + (tail ? '\n' + tail : '');
    await this.node.writeFile(file, next, 0o640);
  }

  async start(id: ContainerId): Promise<void> {
    const st = await this.status(id);
    if (st === 'running') return;
    if (st === 'missing') throw this.missing(id);
    await this.node.run(['pct', 'start', String(id)], { timeoutMs: 120_000 });
  }

  exec(id: ContainerId): HostExec {
    checkId(id);
    return new PctExec(id, { node: this.node, tmpDir: this.tmpDir });
  }

  /** The CT's init pid (`lxc-info -n <id> -p`); throws when it is not running. */
  async initPid(id: ContainerId): Promise<number> {
    checkId(id);
    const r = await this.node.run(['lxc-info', '-n', String(id), '-p']).catch(async (e: unknown) => {
      // LXC only knows a CT once Proxmox wrote its LXC config (at its first start): ask pct.
      if (e instanceof ExecError && /doesn't exist/.test(e.stderr)) {
        if ((await this.status(id)) === 'missing') throw this.missing(id);
        return { stdout: '', stderr: '', code: 1 };
      }
      throw e;
    });
    const m = /^PID:\s+(\d+)\s*$/m.exec(r.stdout);
    if (!m) {
      throw new OperationError('runtime:pct', `container ${id} is not running (no init pid)`, { hint: `start it: pct start ${id}` });
    }
    return Number(m[1]);
  }

  async netnsPathOf(id: ContainerId): Promise<string> {
    return `/proc/${await this.initPid(id)}/ns/net`;
  }

  async moveLink(ifname: string, id: ContainerId): Promise<void> {
    checkIfname(ifname);
    const pid = await this.initPid(id);
    await this.node.run(['ip', 'link', 'set', 'dev', ifname, 'netns', String(pid)]);
  }

  private missing(id: ContainerId): OperationError {
    return new OperationError('runtime:pct', `container ${id} does not exist on this node`, { hint: 'run `privroute init` to create it (see `pct list`)' });
  }
}
