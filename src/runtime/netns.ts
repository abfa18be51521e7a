/**
 * The netns container runtime: a "container" is the network namespace
 * `<prefix><id>` (config `runtime.netns_prefix`). Used by the lab and by Linux
 * hosts without Proxmox. Commands run in it with `ip netns exec`, sharing the
 * host's filesystem.
 *
 * Two executors, because a namespace can only be created from the host's mount
 * namespace: `ip netns add` run under `ip netns exec NODE` (a private, slave mount
 * namespace) leaves a name whose bind mount never reaches the host — verified:
 * entering it then fails with "Invalid argument". So namespaces are created on
 * `host`, while links are moved on `node` (the namespace holding the OVS ports;
 * in the lab the node is itself a namespace), where `ip link set dev X netns Y`
 * resolves Y through /run/netns as seen from the host.
 */
import { OperationError } from '../core/errors.js';
import type { HostExec } from '../host/exec.js';
import { LocalExec } from '../host/local.js';
import { PrefixedExec } from '../host/prefixed.js';
import type { ContainerId, ContainerRuntime, ContainerSpec, ContainerStatus } from './types.js';
import { checkId, checkIfname, checkSpec } from './validate.js';

/** Options for {@link NetnsRuntime}. */
export interface NetnsRuntimeOptions {
  /** Namespace name prefix, e.g. `privroute-ct` → `privroute-ct100`. */
  prefix: string;
  /** Runs `ip netns add/list` and `ip netns exec`; must be in the host's mount namespace. Default LocalExec. */
  host?: HostExec;
  /** Where the links to move live (the node namespace). Default `host`. */
  node?: HostExec;
}

/** Namespaces as containers. Safe to share; holds no state besides its executors. */
export class NetnsRuntime implements ContainerRuntime {
  readonly kind = 'netns' as const;
  readonly prefix: string;
  private readonly host: HostExec;
  private readonly node: HostExec;

  constructor(opts: NetnsRuntimeOptions) {
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(opts.prefix)) {
      throw new OperationError('runtime:netns', `invalid namespace prefix ${JSON.stringify(opts.prefix)}`, {
        hint: 'set runtime.netns_prefix to 1-40 characters from [A-Za-z0-9_.-]',
      });
    }
    this.prefix = opts.prefix;
    this.host = opts.host ?? new LocalExec();
    this.node = opts.node ?? this.host;
  }

  /** The namespace name of container `id`. */
  nameOf(id: ContainerId): string {
    checkId(id);
    return `${this.prefix}${id}`;
  }

  /** Parse `ip netns list` ("name (id: 3)" or "name" per line). */
  private async names(): Promise<Set<string>> {
    const r = await this.host.run(['ip', 'netns', 'list']);
    return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean));
  }

  async exists(id: ContainerId): Promise<boolean> {
    return (await this.names()).has(this.nameOf(id));
  }

  /** Create `<prefix><id>` with lo up if missing. A namespace has no hostname: `hostname` is validated only. */
  async ensure(spec: ContainerSpec): Promise<'created' | 'unchanged'> {
    checkSpec(spec);
    if (await this.exists(spec.id)) return 'unchanged';
    const name = this.nameOf(spec.id);
    await this.host.run(['ip', 'netns', 'add', name]);
    await this.host.run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return 'created';
  }

  /**
   * A namespace has no hostname nor Proxmox `netN` devices to check: validate the
   * spec only. (Its links are privroute's: the lab builds them.)
   */
  async verifyExisting(spec: ContainerSpec): Promise<void> {
    checkSpec(spec);
  }

  /** A namespace runs as long as it exists; start only (re)asserts lo up. */
  async start(id: ContainerId): Promise<void> {
    if (!(await this.exists(id))) throw this.missing(id);
    await this.host.run(['ip', '-n', this.nameOf(id), 'link', 'set', 'lo', 'up']);
  }

  async status(id: ContainerId): Promise<ContainerStatus> {
    return (await this.exists(id)) ? 'running' : 'missing';
  }

  /** `ip netns exec <prefix><id> ...` on the host; files are the host's. */
  exec(id: ContainerId): HostExec {
    const name = this.nameOf(id);
    return new PrefixedExec(this.host, ['ip', 'netns', 'exec', name], `netns:${name}`);
  }

  async netnsPathOf(id: ContainerId): Promise<string> {
    if (!(await this.exists(id))) throw this.missing(id);
    return `/run/netns/${this.nameOf(id)}`;
  }

  async moveLink(ifname: string, id: ContainerId): Promise<void> {
    checkIfname(ifname);
    const name = this.nameOf(id);
    if (!(await this.exists(id))) throw this.missing(id);
    await this.node.run(['ip', 'link', 'set', 'dev', ifname, 'netns', name]);
  }

  private missing(id: ContainerId): OperationError {
    return new OperationError('runtime:netns', `container ${id} (namespace ${this.nameOf(id)}) does not exist`, {
      hint: 'run `privroute init` to create it',
    });
  }
}
