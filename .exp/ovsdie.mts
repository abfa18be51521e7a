import { Scope, uniquePrefix, createNetns, startOvs, sleep } from '/work/wt/lxc/src/lab/harness/index.js';
const s = new Scope(uniquePrefix('xo'));
try {
  const node = await createNetns(s, 'node');
  const ct = await createNetns(s, 'ct');
  const ovs = await startOvs(s, { ns: node.name });
  await ovs.addBridge('br0');
  await ovs.vsctl(['add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal']);
  await node.run(['ip', 'link', 'set', 'p1', 'netns', ct.name]);
  console.log('in ct', (await ct.run(['ip', '-o', 'link'])).stdout);
  await node.run(['ip','netns','del', ct.name]).catch(e=>console.log('del',String(e)));
  await import('node:child_process').then(c=>c.spawnSync('ip',['netns','del',ct.name]));
  await sleep(1000);
  console.log('node links', (await node.run(['ip', '-o', 'link'])).stdout);
  console.log(await ovs.vsctl(['--columns=name,ofport,error', 'list', 'Interface']));
  console.log(await ovs.ofctl(['-O','OpenFlow13','show','br0']));
  // re-add
  await ovs.vsctl(['del-port','br0','p1']); await ovs.vsctl(['add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal']);
  await sleep(500);
  console.log('node links after re-add', (await node.run(['ip', '-o', 'link'])).stdout);
  console.log(await ovs.vsctl(['--columns=name,ofport,error', 'list', 'Interface']));
} finally { await s.close(); }
