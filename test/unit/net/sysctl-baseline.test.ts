import test from 'ava';
import { emptyNetState, fakeNet } from '../../helpers/fake-net.js';
import { recordSysctlBaseline, sysctlRestore, planSysctlRestore } from '../../../src/net/sysctl-baseline.js';

/** The state store's kv table, in memory. */
function kv() {
  const m = new Map<string, string>();
  return { m, getKv: (k: string) => m.get(k), setKv: (k: string, v: string) => void m.set(k, v), deleteKv: (k: string) => void m.delete(k) };
}

test('init records the forwarding sysctls once; teardown puts them back and forgets the record', async (t) => {
  const state = emptyNetState();
  const node = fakeNet(state);
  const store = kv();
  await recordSysctlBaseline(node, store);
  t.deepEqual([...store.m], [['node-baseline:net.ipv4.ip_forward', '0'], ['node-baseline:net.ipv6.conf.all.forwarding', '0']]);
  // init turns forwarding on; a second init does not record privroute's own values.
  state.sysctl['net.ipv4.ip_forward'] = '1';
  state.sysctl['net.ipv6.conf.all.forwarding'] = '1';
  await recordSysctlBaseline(node, store);
  t.is(store.getKv('node-baseline:net.ipv4.ip_forward'), '0');
  const c = sysctlRestore(node, store);
  const changes = c.plan(await c.observe());
  t.deepEqual(changes.map((x) => x.describe), ['restore net.ipv4.ip_forward=0 (its value before privroute)', 'restore net.ipv6.conf.all.forwarding=0 (its value before privroute)']);
  await c.apply(changes);
  t.deepEqual([state.sysctl['net.ipv4.ip_forward'], state.sysctl['net.ipv6.conf.all.forwarding']], ['0', '0']);
  t.is(store.m.size, 0, 'forgotten: the next init records afresh');
  t.deepEqual(c.plan(await c.observe()), [], 'a second teardown changes nothing');
});

test('a node that already forwarded is left forwarding; no record (an upgraded node) means no change', async (t) => {
  const state = emptyNetState();
  state.sysctl['net.ipv4.ip_forward'] = '1';
  const node = fakeNet(state);
  const store = kv();
  await recordSysctlBaseline(node, store);
  state.sysctl['net.ipv6.conf.all.forwarding'] = '1';
  const c = sysctlRestore(node, store);
  t.deepEqual(c.plan(await c.observe()).map((x) => x.key), ['net.ipv6.conf.all.forwarding']);
  const none = sysctlRestore(node, kv());
  t.deepEqual(none.plan(await none.observe()), []);
  // A key the kernel lacks (no IPv6) is never written.
  t.deepEqual(planSysctlRestore([{ key: 'net.ipv6.conf.all.forwarding', want: '0', now: '' }]), []);
});
