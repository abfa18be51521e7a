import test from 'ava';
import { parseInstalled, parseSimulatedInstalls, reconcileEngines } from '../../../src/runtime/engines.js';

test('parseInstalled keeps only fully installed packages, without arch', (t) => {
  const s = parseInstalled('libc6:amd64\tii \nwireguard-tools\trc \niptables\tii \n\n');
  t.deepEqual([...s].sort(), ['iptables', 'libc6']);
});

test('parseSimulatedInstalls: archive names from `apt-get -s install`, epoch escaped', (t) => {
  const out = [
    'Inst libgcc-s1 (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64]) []',
    'Inst iptables [1.8.8-1] (1.8.9-2 Debian:12.15/oldstable [amd64])',
    'Inst wireguard-tools (1:1.0.20210914-1+b1 Debian:12.15/oldstable [amd64])',
    'Conf iptables (1.8.9-2 Debian:12.15/oldstable [amd64])',
  ].join('\n');
  t.deepEqual(parseSimulatedInstalls(out), ['libgcc-s1_12.2.0-14+deb12u1_amd64.deb', 'iptables_1.8.9-2_amd64.deb', 'wireguard-tools_1%3a1.0.20210914-1+b1_amd64.deb']);
});

test('reconcileEngines: only what a container lacks; a converged node plans nothing', (t) => {
  const needs = [
    { id: 100, packages: ['wireguard-tools', 'iptables'] },
    { id: 101, packages: ['iptables'], binaries: [{ source: '/root/xray', sha256: 'a'.repeat(64), dest: '/usr/local/bin/xray' }] },
  ];
  const changes = reconcileEngines(needs, {
    installed: new Map([[100, new Set(['iptables'])], [101, new Set(['iptables'])]]),
    digests: new Map([[101, new Map([['/usr/local/bin/xray', 'b'.repeat(64)]])]]),
  });
  t.deepEqual(changes.map((c) => [c.id, c.packages, c.binaries.length]), [[100, ['wireguard-tools'], 0], [101, [], 1]]);
  const none = reconcileEngines(needs, {
    installed: new Map([[100, new Set(['iptables', 'wireguard-tools'])], [101, new Set(['iptables'])]]),
    digests: new Map([[101, new Map([['/usr/local/bin/xray', 'a'.repeat(64)]])]]),
  });
  t.deepEqual(none, []);
});
