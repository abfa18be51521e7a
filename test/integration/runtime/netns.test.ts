/**
 * NetnsRuntime for real, in the lab shape: the "node" is itself a namespace
 * holding the link, containers are namespaces created from the host's mount
 * namespace, and the link is moved from the node into a container.
 */
import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { rootSkipReason, skipUnless } from '../../helpers/env.js';
import { Scope, uniquePrefix, createNetns, deleteNetns } from '../../../src/lab/harness/index.js';
import { NetnsRuntime } from '../../../src/runtime/netns.js';
import { LocalExec, spawnArgv } from '../../../src/host/local.js';
import { NetnsExec } from '../../../src/host/netns.js';
import { OperationError } from '../../../src/core/errors.js';

const skip = skipUnless(rootSkipReason());
const t0 = skip ? test.skip : test.serial;
const scope = skip ? undefined : new Scope(uniquePrefix('prr'));
let node: NetnsExec;
let rt: NetnsRuntime;

test.before(async () => {
  if (!scope) return;
  node = await createNetns(scope, 'node');
  rt = new NetnsRuntime({ prefix: `${scope.prefix}c`, host: new LocalExec(), node });
  for (const id of [100, 101]) {
    const name = rt.nameOf(id);
    scope.recordNetns(name);
    scope.defer(`netns ${name}`, () => deleteNetns(name));
  }
});

test.after.always(async (t) => {
  if (!scope) return;
  await scope.close();
  const list = (await spawnArgv('local', ['ip', 'netns', 'list'])).stdout;
  t.false(list.split('\n').some((l) => l.startsWith(scope.prefix)), `namespace left behind: ${list}`);
  t.false(existsSync(scope.dir));
});

t0('ensure creates the namespace once; status follows', async (t) => {
  t.is(await rt.status(100), 'missing');
  t.is(await rt.ensure({ id: 100, hostname: 'gw' }), 'created');
  t.is(await rt.ensure({ id: 100, hostname: 'gw' }), 'unchanged');
  t.is(await rt.status(100), 'running');
  t.is(await rt.status(101), 'missing');
  await t.throwsAsync(rt.start(101), { instanceOf: OperationError });
  await rt.start(100);
});

t0('exec runs inside the container namespace: only lo, and it is up', async (t) => {
  const links = (await rt.exec(100).run(['ip', '-o', 'link'])).stdout.trim().split('\n');
  t.is(links.length, 1);
  t.regex(links[0]!, /^1: lo: <LOOPBACK,UP/);
});

t0('netnsPathOf is the namespace the container commands run in', async (t) => {
  const p = await rt.netnsPathOf(100);
  const inside = (await rt.exec(100).run(['readlink', '/proc/self/ns/net'])).stdout.trim();
  t.is(inside, `net:[${statSync(p).ino}]`);
  const nodeNs = (await node.run(['readlink', '/proc/self/ns/net'])).stdout.trim();
  t.not(inside, nodeNs);
});

t0('moveLink moves a link from the node namespace into the container', async (t) => {
  const ifname = `${scope!.prefix}d0`;
  // No dummy module here: a veth pair inside the node stands in for an OVS internal port.
  await node.run(['ip', 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`]);
  await rt.moveLink(ifname, 100);
  const inCt = (await rt.exec(100).run(['ip', '-o', 'link'])).stdout;
  t.true(inCt.includes(`: ${ifname}@`), inCt);
  const inNode = (await node.run(['ip', '-o', 'link'])).stdout;
  t.false(inNode.includes(`: ${ifname}@`));
  t.true(inNode.includes(`: ${ifname}p@`)); // the peer stayed: the check can see links
  await t.throwsAsync(rt.moveLink(ifname, 100)); // no longer in the node
});
