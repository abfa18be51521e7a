import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { pickAutoEndpoint, resolveEndpoint } from '../../../src/tunnel/endpoint.js';
import { seedConfig } from '../flows/_seed.js';
import type { HostExec } from '../../../src/host/exec.js';

test('auto: the uplink public IPv4 first, then IPv6 in brackets', (t) => {
  t.is(pickAutoEndpoint('vmbr0', ['192.168.1.5/24', '203.0.113.7/24', '2001:db8::7/64'], 51820), '203.0.113.7:51820');
  t.is(pickAutoEndpoint('vmbr0', ['192.168.1.5/24', '2a01:4f8::7/64'], 51820), '[2a01:4f8::7]:51820');
});

test('auto behind NAT (only private / CGNAT / ULA addresses) or with none: InputError naming wireguard.endpoint', (t) => {
  const nat = t.throws(() => pickAutoEndpoint('vmbr0', ['192.168.1.5/24', '100.64.3.3/10', 'fd00::5/64'], 51820), { instanceOf: InputError })!;
  t.regex(nat.message, /wireguard\.endpoint/);
  t.regex(nat.message, /behind NAT/);
  const none = t.throws(() => pickAutoEndpoint('vmbr0', [], 51820), { instanceOf: InputError })!;
  t.regex(none.message, /no global address/);
});

test('resolveEndpoint: a configured host:port is used as is; auto reads the uplink (ip -j addr) on the node', async (t) => {
  const fixed = seedConfig((r) => {
    r.wireguard.endpoint = 'vpn.example.com:51820';
  });
  const never: HostExec = { run: async () => t.fail('must not read the node') as never } as unknown as HostExec;
  t.is(await resolveEndpoint(fixed, never), 'vpn.example.com:51820');
  const auto = seedConfig((r) => {
    r.wireguard.endpoint = 'auto';
    r.wireguard.uplink = 'up0';
  });
  const calls: string[][] = [];
  const node = {
    run: async (argv: string[]) => {
      calls.push(argv);
      return { code: 0, stdout: JSON.stringify([{ ifname: 'up0', flags: ['UP'], mtu: 1500, addr_info: [{ family: 'inet', local: '198.51.100.9', prefixlen: 24, scope: 'global' }] }]), stderr: '' };
    },
  } as unknown as HostExec;
  t.is(await resolveEndpoint(auto, node), '198.51.100.9:51820');
  t.true(calls[0]!.includes('up0'));
});
