/**
 * A FakeHostExec model of a Proxmox node's `pct` behaviour (shared by the
 * PctExec and PctRuntime unit tests): containers with a running flag, a config
 * and their own file map. Node-side files live in the fake's own file map.
 */
import { FakeHostExec, REST, type FakeFile } from '../../../src/host/fake.js';

export interface Ct {
  running: boolean;
  config: Record<string, string>;
  files: Map<string, FakeFile>;
  /** Modes of node-side staged files at the moment they were pushed. */
  pushedFromMode: number[];
  /** Fault: `pct push` creates the destination, then fails copying (a full disk), leaving it behind as pct does. */
  pushFailsMidCopy?: boolean;
}

export interface NodeState {
  cts: Map<number, Ct>;
  links: Map<string, string>; // ifname -> 'node' | 'pid:<n>'
  pve: string;
}

export function pctNode(cts: Record<number, Partial<Ct>> = {}): FakeHostExec<NodeState> {
  const state: NodeState = { cts: new Map(), links: new Map(), pve: '8.2.4' };
  for (const [id, c] of Object.entries(cts)) {
    state.cts.set(Number(id), { running: false, config: {}, files: new Map(), pushedFromMode: [], ...c });
  }
  const fake = new FakeHostExec<NodeState>({ target: 'node', state });
  const ct = (id: string) => state.cts.get(Number(id));
  const missing = (id: string) => ({ code: 255, stderr: `Configuration file 'nodes/pve/lxc/${id}.conf' does not exist\n` });
  fake
    .on(['pct', 'status', /\d+/], ({ captures: [id] }) => {
      const c = ct(id!);
      return c ? `status: ${c.running ? 'running' : 'stopped'}\n` : missing(id!);
    }, { times: 'any' })
    .on(['pct', 'config', /\d+/], ({ captures: [id] }) => {
      const c = ct(id!);
      return c ? Object.entries(c.config).map(([k, v]) => `${k}: ${v}\n`).join('') : missing(id!);
    }, { times: 'any' })
    .on(['pct', 'start', /\d+/], ({ captures: [id] }) => {
      const c = ct(id!);
      if (!c) return missing(id!);
      if (c.running) return { code: 255, stderr: `CT ${id} already running\n` };
      c.running = true;
    }, { times: 'any' })
    .on(['pveversion'], () => `pve-manager/${state.pve}/abcdef (running kernel: 6.8.12-1-pve)\n`, { times: 'any' })
    .on(['lxc-info', '-n', /\d+/, '-p'], ({ captures: [id] }) => {
      const c = ct(id!);
      if (!c) return { code: 1, stderr: `${id} doesn't exist\n` };
      return c.running ? `PID:            ${4000 + Number(id)}\n` : '';
    }, { times: 'any' })
    .on(['ip', 'link', 'set', 'dev', /\S+/, 'netns', /\S+/], ({ captures: [ifn, where] }) => {
      if (state.links.get(ifn!) !== 'node') return { code: 1, stderr: `Cannot find device "${ifn}"\n` };
      state.links.set(ifn!, `pid:${where}`);
    }, { times: 'any' })
    .on(['pct', 'push', /\d+/, /\S+/, /\S+/, '--perms', /0[0-7]{3}/], ({ captures: [id, src, dst, perms], fake: f }) => {
      const c = ct(id!);
      if (!c) return missing(id!);
      if (!c.running) return { code: 255, stderr: 'can only push files to a running CT\n' };
      const s = f.files.get(src!);
      if (!s) return { code: 255, stderr: `failed to open ${src} for reading\n` };
      c.pushedFromMode.push(s.mode);
      if (c.pushFailsMidCopy) {
        c.files.set(dst!, { content: Buffer.from(s.content.subarray(0, 1)), mode: parseInt(perms!, 8) });
        return { code: 255, stderr: `error writing ${dst}: No space left on device\n` };
      }
      c.files.set(dst!, { content: Buffer.from(s.content), mode: parseInt(perms!, 8) });
    }, { times: 'any' })
    .on(['pct', 'pull', /\d+/, /\S+/, /\S+/, '--perms', /0[0-7]{3}/], ({ captures: [id, src, dst, perms], fake: f }) => {
      const c = ct(id!);
      if (!c) return missing(id!);
      const s = c.files.get(src!);
      if (!s) return { code: 255, stderr: `failed to open ${src}: No such file or directory\n` };
      f.files.set(dst!, { content: Buffer.from(s.content), mode: parseInt(perms!, 8) });
    }, { times: 'any' })
    .on(['pct', 'exec', /\d+/, '--', 'mv', '-f', /\S+/, /\S+/], ({ captures: [id, a, b] }) => {
      const c = ct(id!)!;
      const f = c.files.get(a!);
      if (!f) return { code: 1, stderr: `mv: cannot stat '${a}': No such file or directory\n` };
      c.files.delete(a!);
      c.files.set(b!, f);
    }, { times: 'any' })
    .on(['pct', 'exec', /\d+/, '--', 'rm', '-f', /\S+/], ({ captures: [id, p] }) => void ct(id!)!.files.delete(p!), { times: 'any' })
    .on(['rm', '-f', REST], ({ captures, fake: f }) => void captures.forEach((p) => f.files.delete(p)), { times: 'any' });
  return fake;
}
