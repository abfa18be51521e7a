import test from 'ava';
import { existsSync } from 'node:fs';
import { spawnArgv } from '../../../src/host/local.js';
import { Scope, uniquePrefix, createNetns, vethPair, startOvs, startProcess, sweepStale, waitFor, procGone as gone } from '../../../src/lab/harness/index.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('ovs-vswitchd', 'ovsdb-server'));

async function netnsList(): Promise<string> {
  return (await spawnArgv('local', ['ip', 'netns', 'list'])).stdout;
}

(skip ? test.skip : test.serial)('namespaces, veth and a private OVS pass traffic, and close() removes everything', async (t) => {
  const prefix = uniquePrefix('ht');
  const scope = new Scope(prefix);
  try {
    const node = await createNetns(scope, 'node');
    const a = await createNetns(scope, 'a');
    const b = await createNetns(scope, 'b');
    // veth reachability
    await vethPair(scope, { ns: a.name, name: 'va', cidr: '10.99.0.1/30' }, { ns: b.name, name: 'vb', cidr: '10.99.0.2/30' });
    await a.run(['ping', '-c', '1', '-W', '2', '10.99.0.2']);
    // private OVS inside "node"; internal ports moved into a and b
    const ovs = await startOvs(scope, { ns: node.name });
    await ovs.addBridge('br0');
    await ovs.vsctl(['add-port', 'br0', 'pa', '--', 'set', 'interface', 'pa', 'type=internal']);
    await ovs.vsctl(['add-port', 'br0', 'pb', '--', 'set', 'interface', 'pb', 'type=internal']);
    await waitFor('internal ports', async () => (await node.run(['ip', '-o', 'link'])).stdout.includes('pb'));
    // The ports exist in the node namespace, never in the root one.
    t.false((await spawnArgv('local', ['ip', '-o', 'link'])).stdout.includes(' pa:'));
    for (const [port, ns, addr] of [['pa', a.name, '10.98.0.1/24'], ['pb', b.name, '10.98.0.2/24']] as const) {
      await node.run(['ip', 'link', 'set', port, 'netns', ns]);
      await spawnArgv('local', ['ip', '-n', ns, 'addr', 'add', addr, 'dev', port]);
      await spawnArgv('local', ['ip', '-n', ns, 'link', 'set', port, 'up']);
    }
    // fail_mode=secure with no flows: nothing passes.
    await t.throwsAsync(a.run(['ping', '-c', '1', '-W', '1', '10.98.0.2']));
    await ovs.ofctl(['add-flow', 'br0', 'actions=NORMAL']);
    await a.run(['ping', '-c', '1', '-W', '2', '10.98.0.2']);
    // A supervised process is stopped by PID at close.
    const p = await startProcess(scope, { name: 'sleeper', ns: a.name, argv: ['sleep', '300'] });
    t.true(existsSync(`/proc/${p.pid}`));
    t.true((await netnsList()).includes(`${prefix}-node`));
    await scope.close();
    t.true(gone(p.pid));
    t.false((await netnsList()).includes(prefix));
    t.false(existsSync(scope.dir));
  } finally {
    await scope.close();
  }
});

(skip ? test.skip : test.serial)('sweepStale removes what a killed run left behind', async (t) => {
  const prefix = uniquePrefix('hs');
  const scope = new Scope(prefix);
  const ns = await createNetns(scope, 'x');
  const p = await startProcess(scope, { name: 'orphan', ns: ns.name, argv: ['sleep', '300'] });
  // Simulate a crash: never call scope.close(); sweep by prefix instead.
  const removed = await sweepStale(prefix);
  t.true(removed.some((r) => r.includes('process')));
  await waitFor('orphan to die', () => gone(p.pid), 5000);
  t.false((await netnsList()).includes(prefix));
  t.false(existsSync(scope.dir));
});

