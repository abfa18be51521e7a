/**
 * The container runtime interface: how privroute gets a place to run a chain hop
 * (WireGuard gateway, XRay client, mesh services) and a network namespace to move
 * that hop's OVS internal port ("socket") into.
 *
 * Two implementations: `pct` (Proxmox LXC containers, production) and `netns`
 * (plain network namespaces: the lab and Linux hosts without Proxmox). Callers
 * (tunnel, xray, mesh, lab) depend only on this interface.
 */
import type { HostExec } from '../host/exec.js';

/** A container id: the Proxmox vmid (100, 101, ...), also used to name namespaces. */
export type ContainerId = number;

/** What a container must look like. Only `id` and `hostname` are required. */
export interface ContainerSpec {
  id: ContainerId;
  /** DNS-style hostname: letters, digits, dashes and dots. */
  hostname: string;
  /** pct only: OS template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`. */
  template?: string;
  /** pct only: storage for the rootfs. Default `local-lvm`. */
  storage?: string;
  /** pct only: rootfs size in GiB. Default 4. */
  diskGb?: number;
  /** pct only: memory in MiB. Default 512. */
  memoryMb?: number;
  /** Needs /dev/net/tun (wireguard-go, XRay TUN). Default false. */
  tun?: boolean;
  /**
   * A chain hop (the gateway, the XRay client): its only link must be the OVS
   * socket privroute moves in, so an existing one with a network device of its
   * own (`netN`, a second way out) is refused. Default false (mesh services).
   */
  chain?: boolean;
  /** pct only: start at node boot (`--onboot 1`) in this order (`--startup order=N`). */
  startupOrder?: number;
}

/** Lifecycle state of a container. */
export type ContainerStatus = 'running' | 'stopped' | 'missing';

/** Provisions containers and moves links into their network namespaces. */
export interface ContainerRuntime {
  readonly kind: 'pct' | 'netns';
  /** True if the container exists (running or not). Read-only. */
  exists(id: ContainerId): Promise<boolean>;
  /**
   * Create the container if it is missing; 'unchanged' if it already exists and
   * matches the spec's identity (hostname). Never modifies or replaces an existing
   * container; an id held by a different container is an error. Does not start it.
   */
  ensure(spec: ContainerSpec): Promise<'created' | 'unchanged'>;
  /**
   * Read-only: if the container exists, check it is one privroute may use for
   * `spec` (its identity, and for a chain hop no network device of its own).
   * Throws InputError (exit 2) naming the fix; a missing container passes.
   */
  verifyExisting(spec: ContainerSpec): Promise<void>;
  /** Start the container if it is not running (no-op when running). */
  start(id: ContainerId): Promise<void>;
  /** Read-only status. */
  status(id: ContainerId): Promise<ContainerStatus>;
  /** A HostExec that runs commands inside the container. */
  exec(id: ContainerId): HostExec;
  /** The path of the container's network namespace (`/run/netns/X` or `/proc/<pid>/ns/net`). Needs it running. */
  netnsPathOf(id: ContainerId): Promise<string>;
  /**
   * Move link `ifname` (e.g. an OVS internal port) from the node's namespace into
   * the container's: `ip link set dev <if> netns <name|pid>`, run on the node's
   * HostExec. The link's addresses are lost (the kernel drops them on a move).
   */
  moveLink(ifname: string, id: ContainerId): Promise<void>;
}

/** Interface names the kernel accepts (IFNAMSIZ 16 incl. NUL; no '/', ':', whitespace). */
export const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Hostnames we accept (also what pct accepts). */
export const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;
