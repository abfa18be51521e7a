/**
 * The Proxmox removals of `privroute teardown` against a fake node that models pct's state
 * (configs with their hookscript line, running or not) and the files: the hookscript lines
 * and snippet, the stanza, and — only when asked — the containers go; a container privroute
 * did not hook keeps its config; a second run plans nothing.
 */
import test from 'ava';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { runComponents, type AnyComponent } from '../../../src/core/runner.js';
import { pveTeardownComponents } from '../../../src/proxmox/teardown.js';

const SNIPPET = '/var/lib/vz/snippets/privroute-hook.sh';
const STANZA = '/etc/network/interfaces.d/privroute';
type Cts = Map<number, { conf: Record<string, string>; running: boolean }>;

function node(cts: Cts): FakeHostExec<Cts> {
  return new FakeHostExec<Cts>({ state: cts, files: { [SNIPPET]: '#!/bin/sh\n', [STANZA]: 'auto ovsbr0\n' } })
    .withFileCommands()
    .on(['pvesm', 'path', 'local:snippets/privroute-hook.sh'], () => `${SNIPPET}\n`, { times: 'any' })
    .on(['pct', 'config', /^\d+$/], ({ captures: [id], state }) => {
      const c = state.get(Number(id));
      return c ? Object.entries(c.conf).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n' : { code: 255, stderr: `Configuration file 'nodes/pve/lxc/${id}.conf' does not exist` };
    }, { times: 'any' })
    .on(['pct', 'status', /^\d+$/], ({ captures: [id], state }) => `status: ${state.get(Number(id))!.running ? 'running' : 'stopped'}\n`, { times: 'any' })
    .on(['pct', 'set', /^\d+$/, '--delete', 'hookscript'], ({ captures: [id], state }) => void delete state.get(Number(id))!.conf.hookscript, { times: 'any' })
    .on(['pct', 'stop', /^\d+$/], ({ captures: [id], state }) => void (state.get(Number(id))!.running = false), { times: 'any' })
    .on(['pct', 'destroy', /^\d+$/, REST], ({ captures: [id], state }) => void state.delete(Number(id)), { times: 'any' });
}

const cts = (): Cts => new Map([
  [100, { conf: { hostname: 'wg', hookscript: 'local:snippets/privroute-hook.sh' }, running: true }],
  [101, { conf: { hostname: 'xray', hookscript: 'local:snippets/privroute-hook.sh' }, running: false }],
  [105, { conf: { hostname: 'other', hookscript: 'local:snippets/other.sh' }, running: true }],
]);

const run = async (n: FakeHostExec<Cts>, containers: boolean) => {
  const c = pveTeardownComponents(n, { ids: [100, 101, 200], interfacesFile: STANZA, containers });
  return runComponents([...c.first, ...c.last] as AnyComponent[]);
};

test('without --containers: hookscript lines, snippet and stanza go; the containers stay; a second run plans nothing', async (t) => {
  const n = node(cts());
  const first = await run(n, false);
  t.deepEqual(first.map((r) => [r.name, r.changes]), [
    ['hookscript', ['pct set 100 --delete hookscript', 'pct set 101 --delete hookscript', `remove the hookscript ${SNIPPET}`]],
    ['ifupdown', [`remove the bridge's ifupdown2 stanza ${STANZA}`]],
  ]);
  t.deepEqual([...n.state.keys()], [100, 101, 105]);
  t.false('hookscript' in n.state.get(100)!.conf);
  t.is(n.state.get(105)!.conf.hookscript, 'local:snippets/other.sh', 'a container privroute did not hook is left alone');
  t.false(n.files.has(SNIPPET));
  t.false(n.files.has(STANZA));
  t.true((await run(n, false)).every((r) => r.changes.length === 0));
});

test('with --containers: privroute\'s containers are stopped (when running) and destroyed; others stay', async (t) => {
  const n = node(cts());
  const rep = await run(n, true);
  t.deepEqual(rep.find((r) => r.name === 'containers')!.changes, ['pct stop 100', 'pct destroy 100', 'pct destroy 101']);
  t.deepEqual([...n.state.keys()], [105]);
  t.true((await run(n, true)).every((r) => r.changes.length === 0));
});
