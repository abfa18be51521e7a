import test from 'ava';
import { bridgeProblem, foreignPorts } from '../../../src/proxmox/bridge-guard.js';

const DESIRED = ['internal_100', 'internal_101', 'warp0'];

test('foreignPorts: guests and uplinks are foreign; the local port, marked, wanted and access ports are not', (t) => {
  const ports = [
    { name: 'vmbr0', owned: false },
    { name: 'tap100i0', owned: false },
    { name: 'veth105i0', owned: false },
    { name: 'eno1', owned: false },
    { name: 'internal_100', owned: false },
    { name: 'stale_7', owned: true },
    { name: 'enp2s0', owned: false },
  ];
  t.deepEqual(foreignPorts('vmbr0', ports, DESIRED, 'enp2s0'), ['eno1', 'tap100i0', 'veth105i0']);
  t.deepEqual(foreignPorts('ovsbr0', [{ name: 'ovsbr0', owned: false }, { name: 'warp0', owned: true }], DESIRED, null), []);
});

test('bridgeProblem: names the key, the ports and the fix', (t) => {
  t.is(bridgeProblem('ovsbr0', [{ name: 'ovsbr0', owned: false }], DESIRED, null), null);
  const p = bridgeProblem('vmbr0', [{ name: 'vmbr0', owned: false }, { name: 'tap100i0', owned: false }], DESIRED, null)!;
  t.is(p.path, 'plugins.privacy_router.bridge_name');
  t.regex(String(p.value), /vmbr0 \(carries tap100i0\)/);
  t.regex(p.expected, /Set bridge_name to a name no bridge uses yet/);
});
