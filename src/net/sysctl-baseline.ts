/**
 * The node's forwarding sysctls as they were before privroute first changed them,
 * so that `privroute teardown` (deploy/uninstall.sh) can leave the node as it was.
 *
 * init sets `net.ipv4.ip_forward` and, with a chain IPv6 subnet,
 * `net.ipv6.conf.all.forwarding` on the node (WARP, ingress, mesh). Before its first
 * change, init records each key's value in the state store, once: a later init
 * never overwrites it (by then the value is privroute's own). teardown plans a
 * write back for every recorded key whose value differs now, and forgets the
 * record once the value is back. A node upgraded from a release that did not
 * record it has no record: teardown then leaves the value alone (it cannot know).
 */
import type { Change, Component } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import { sysctlReadArgv, sysctlWriteArgv } from './iproute.js';

/** The node-level sysctls privroute may change (the containers' own go with the containers). */
export const NODE_SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding'] as const;

/** Where the store would keep them: a key-value store (the state store's kv table). */
export interface BaselineStore {
  getKv(key: string): string | undefined;
  setKv(key: string, value: string): void;
  deleteKv(key: string): void;
}

const kvKey = (sysctl: string): string => `node-baseline:${sysctl}`;

/** Read one sysctl on the node ('' when the kernel lacks it: no IPv6). */
async function readSysctl(node: HostExec, key: string): Promise<string> {
  const r = await node.run(sysctlReadArgv(key), { okCodes: [0, 1, 255] });
  return r.code === 0 ? r.stdout.trim() : '';
}

/**
 * Record the node's forwarding sysctls before init changes anything (read-only on
 * the node; writes only to the store, and only keys not recorded yet).
 */
export async function recordSysctlBaseline(node: HostExec, store: BaselineStore): Promise<void> {
  for (const key of NODE_SYSCTLS) {
    if (store.getKv(kvKey(key)) !== undefined) continue;
    const v = await readSysctl(node, key);
    if (/^\d+$/.test(v)) store.setKv(kvKey(key), v);
  }
}

type Observed = { key: string; want: string; now: string }[];
type SysctlChange = Change & { key: string; value: string };

/** One restore step (pure): the recorded values that differ from the node's now. */
export function planSysctlRestore(o: Observed): SysctlChange[] {
  return o.filter((s) => s.now !== '' && s.now !== s.want).map((s) => ({ describe: `restore ${s.key}=${s.want} (its value before privroute)`, key: s.key, value: s.want }));
}

/**
 * The teardown component restoring the recorded sysctls. It runs last: forwarding
 * goes off only once nothing of the chain is left. The record is forgotten after a
 * successful restore, and kept by `--dry-run` (plan only).
 */
export function sysctlRestore(node: HostExec, store: BaselineStore): Component<Observed, SysctlChange> {
  return {
    name: 'sysctls',
    async observe() {
      const out: Observed = [];
      for (const key of NODE_SYSCTLS) {
        const want = store.getKv(kvKey(key));
        if (want !== undefined && /^\d+$/.test(want)) out.push({ key, want, now: await readSysctl(node, key) });
      }
      return out;
    },
    plan: planSysctlRestore,
    async apply(changes) {
      for (const c of changes) await node.run(sysctlWriteArgv({ key: c.key, value: c.value }));
      for (const key of NODE_SYSCTLS) store.deleteKv(kvKey(key));
    },
  };
}
