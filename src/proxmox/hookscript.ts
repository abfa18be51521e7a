/**
 * The Proxmox hookscript: a snippet Proxmox runs as root with `<vmid> <phase>` around a
 * container's start and stop (`pct set <vmid> --hookscript local:snippets/<file>`). Ours
 * hands every call to `privroute hook <vmid> <phase>`, which on post-start moves the
 * container's socket back in and reconciles that container's hop (see src/proxmox/hook.ts).
 *
 * render (pure) → observe (the snippet's text and each container's `hookscript:` line) →
 * reconcile → apply (write the snippet 0755, `pct set --hookscript` where missing).
 */
import type { HostExec } from '../host/exec.js';
import type { Change, Component } from '../core/runner.js';
import { quoteArgv } from '../host/shell-quote.js';
import { parsePctConfig } from '../runtime/pct.js';

/** The volume id privroute installs its hookscript as. */
export const HOOKSCRIPT_VOLID = 'local:snippets/privroute-hook.sh';

/** How the hookscript reaches privroute: its argv, config and state dir, as the running CLI sees them. */
export interface HookTarget {
  /** argv that runs the privroute CLI (e.g. `/usr/bin/node /opt/privroute/dist/src/cli/main.js`). */
  argv: readonly string[];
  configPath: string;
  stateDir: string;
}

/** Pure: the hookscript text (POSIX sh; every value single-quoted). */
export function renderHookscript(t: HookTarget): string {
  return [
    '#!/bin/sh',
    '# privroute hookscript, written by `privroute init` (rewritten on every init: edit the config, not this file).',
    '# Proxmox runs it as root with <vmid> <phase> (pre-start, post-start, pre-stop, post-stop).',
    '# post-start: privroute moves the container\'s socket in and reconciles its hop.',
    `exec ${quoteArgv([...t.argv, '--config', t.configPath, '--state-dir', t.stateDir, 'hook'])} "$1" "$2"`,
    '',
  ].join('\n');
}

interface HookObserved {
  path: string;
  text: string | null;
  missingOn: number[];
}

/** The component: the snippet is current and set on each of privroute's containers. */
export function hookscriptComponent(node: HostExec, target: HookTarget, ids: readonly number[], dependsOn: string[] = ['containers']): Component<HookObserved, Change> {
  const want = renderHookscript(target);
  return {
    name: 'hookscript',
    dependsOn,
    async observe() {
      // Where storage `local` keeps snippets (/var/lib/vz/snippets on a default node).
      const path = (await node.run(['pvesm', 'path', HOOKSCRIPT_VOLID])).stdout.trim();
      const text = await node.readFile(path).then((b) => b.toString('utf8'), () => null);
      const missingOn: number[] = [];
      for (const id of ids) {
        const conf = parsePctConfig((await node.run(['pct', 'config', String(id)])).stdout);
        if (conf.hookscript !== HOOKSCRIPT_VOLID) missingOn.push(id);
      }
      return { path, text, missingOn };
    },
    plan: (o) => [
      ...(o.text !== want ? [{ describe: `write the hookscript ${o.path}` }] : []),
      ...o.missingOn.map((id) => ({ describe: `pct set ${id} --hookscript ${HOOKSCRIPT_VOLID}` })),
    ],
    async apply() {
      const o = await this.observe();
      if (o.text !== want) {
        await node.run(['mkdir', '-p', o.path.replace(/\/[^/]+$/, '')]);
        await node.writeFile(o.path, want, 0o755);
      }
      for (const id of o.missingOn) await node.run(['pct', 'set', String(id), '--hookscript', HOOKSCRIPT_VOLID]);
    },
  };
}
