import test from 'ava';
import { condoneRegex, ifupdownComponent, renderStanza } from '../../../src/proxmox/ifupdown.js';
import { FakeHostExec } from '../../../src/host/fake.js';

const STANZA = { bridge: 'ovsbr0', ports: ['warp0', 'internal_101', 'internal_100', 'nm.x'], accessPort: null, failMode: 'secure' as const, datapath: 'system' as const };

test('condoneRegex: anchored, sorted, names escaped; matches exactly the ports', (t) => {
  const re = new RegExp(condoneRegex(STANZA.ports));
  t.is(condoneRegex(STANZA.ports), '^(internal_100|internal_101|nm\\.x|warp0)$');
  for (const p of STANZA.ports) t.true(re.test(p), p);
  for (const p of ['tap100i0', 'internal_1000', 'nmax', 'xwarp0']) t.false(re.test(p), p);
});

test('renderStanza: OVSBridge, condoned ports, secure fail_mode; the access port is listed', (t) => {
  const text = renderStanza(STANZA);
  t.regex(text, /^auto ovsbr0\niface ovsbr0 inet manual\n\tovs_type OVSBridge\n\tovs-ports-condone-regex \^\(internal_100\|internal_101\|nm\\\.x\|warp0\)\$\n\tovs_options fail_mode=secure protocols=OpenFlow13,OpenFlow14\n$/m);
  t.notRegex(text, /ovs_ports/);
  const withNic = renderStanza({ ...STANZA, accessPort: 'enp2s0', datapath: 'netdev' });
  t.regex(withNic, /\n\tovs_ports enp2s0\n/);
  t.regex(withNic, /datapath_type=netdev/);
});

test('ifupdownComponent: writes the file 0644 once; a second pass plans nothing; a hand edit is rewritten', async (t) => {
  const node = new FakeHostExec().withFileCommands().on(['mkdir', '-p', '/etc/network/interfaces.d'], () => undefined, { times: 'any' });
  const c = ifupdownComponent(node, '/etc/network/interfaces.d/privroute', STANZA);
  const first = c.plan(await c.observe());
  t.deepEqual(first.map((x) => x.describe), ['write the ifupdown2 stanza of ovsbr0 in /etc/network/interfaces.d/privroute']);
  await c.apply(first);
  const f = node.files.get('/etc/network/interfaces.d/privroute')!;
  t.is(f.content.toString(), renderStanza(STANZA));
  t.is(f.mode, 0o644);
  t.deepEqual(c.plan(await c.observe()), []);
  node.files.set('/etc/network/interfaces.d/privroute', { content: Buffer.from('auto ovsbr0\n'), mode: 0o644 });
  t.deepEqual(c.plan(await c.observe()).map((x) => x.describe), ['rewrite the ifupdown2 stanza of ovsbr0 in /etc/network/interfaces.d/privroute']);
});
