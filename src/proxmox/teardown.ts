/**
 * The Proxmox side of `privroute teardown` (see src/appliance/teardown.ts for the
 * whole): the hookscript (each container's `hookscript:` line, then the snippet), the
 * bridge's ifupdown2 stanza, and — only when asked — privroute's containers (stopped,
 * then destroyed: they hold the gateway's keys). Each component observes read-only
 * (`pct config`, `pct status`, `pvesm path`, the files), plans pure, applies exactly
 * the plan through the node's HostExec. A container privroute did not hook is left as it is.
 */
import type { Change, Component } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import { parsePctConfig } from '../runtime/pct.js';
import { HOOKSCRIPT_VOLID } from './hookscript.js';

/** One step: what it does and the argv that does it. */
type Step = Change & { argv: string[] };

/** What the Proxmox removals need. */
export interface PveTeardown {
  /** privroute's container ids (CT100, CT101, the mesh containers). */
  ids: readonly number[];
  /** runtime.interfaces_file (null: init writes none). */
  interfacesFile: string | null;
  /** Destroy the containers too. */
  containers: boolean;
}

/** A container's `pct config`, or null when it does not exist (pct exits non-zero). */
async function pctConfig(node: HostExec, id: number): Promise<Record<string, string> | null> {
  const r = await node.run(['pct', 'config', String(id)], { okCodes: [0, 2, 255] });
  return r.code === 0 ? parsePctConfig(r.stdout) : null;
}

const exists = (node: HostExec, file: string) => node.readFile(file).then(() => true, () => false);

const stepsComponent = <O>(name: string, node: HostExec, observe: () => Promise<O>, plan: (o: O) => Step[]): Component<O, Step> => ({
  name,
  observe,
  plan,
  async apply(changes) {
    for (const c of changes) await node.run(c.argv);
  },
});

/** The components that run before the bridge goes (`first`) and after the networking (`last`). */
export function pveTeardownComponents(node: HostExec, t: PveTeardown): { first: Component<any, Step>[]; last: Component<any, Step>[] } {
  const hookscript = stepsComponent(
    'hookscript',
    node,
    async () => {
      const hooked: number[] = [];
      for (const id of t.ids) if ((await pctConfig(node, id))?.hookscript === HOOKSCRIPT_VOLID) hooked.push(id);
      const path = (await node.run(['pvesm', 'path', HOOKSCRIPT_VOLID])).stdout.trim();
      return { hooked, path, present: await exists(node, path) };
    },
    (o) => [
      ...o.hooked.map((id) => ({ describe: `pct set ${id} --delete hookscript`, argv: ['pct', 'set', String(id), '--delete', 'hookscript'] })),
      ...(o.present ? [{ describe: `remove the hookscript ${o.path}`, argv: ['rm', '-f', '--', o.path] }] : []),
    ],
  );
  const last: Component<any, Step>[] = [];
  const file = t.interfacesFile;
  if (file) {
    last.push(stepsComponent('ifupdown', node, () => exists(node, file), (present) => (present ? [{ describe: `remove the bridge's ifupdown2 stanza ${file}`, argv: ['rm', '-f', '--', file] }] : [])));
  }
  if (t.containers) {
    last.push(
      stepsComponent(
        'containers',
        node,
        async () => {
          const seen: { id: number; running: boolean }[] = [];
          for (const id of t.ids) {
            if (!(await pctConfig(node, id))) continue;
            const st = (await node.run(['pct', 'status', String(id)])).stdout;
            seen.push({ id, running: /status:\s*running/.test(st) });
          }
          return seen;
        },
        (seen) =>
          seen.flatMap(({ id, running }) => [
            ...(running ? [{ describe: `pct stop ${id}`, argv: ['pct', 'stop', String(id)] }] : []),
            { describe: `pct destroy ${id}`, argv: ['pct', 'destroy', String(id)] },
          ]),
      ),
    );
  }
  return { first: [hookscript], last };
}
