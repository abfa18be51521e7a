/**
 * Issue 11.16: which way management SSH leaves the node. The decision is pure
 * over a read-only observation; the chain path makes the SSH executor dial
 * through a relay in CT101's namespace.
 */
import test from 'ava';
import { validateConfig } from '../../../src/config/index.js';
import { FakeHostExec } from '../../../src/host/fake.js';
import type { ContainerRuntime } from '../../../src/runtime/types.js';
import { vpsExecFromConfig } from '../../../src/xray/connect.js';
import { xrayPlanChanges } from '../../../src/appliance/xray.js';
import type { XrayPlan } from '../../../src/xray/index.js';
import { chooseMgmtPath, describeMgmtPath, observeMgmtPath, type MgmtPathObservation } from '../../../src/xray/mgmt-path.js';

const config = validateConfig({ version: 1, plugins: { privacy_router: { vps: { xray_server: '198.51.100.7', ssh: { key_file: '/k' } } } } });
const up: MgmtPathObservation = { ct101: 'running', ct101DefaultRoute: true, warpTunnelUp: true, netnsPath: '/proc/4242/ns/net' };

test('chain up: SSH goes through CT101 (the VPS sees the WARP edge)', (t) => {
  const p = chooseMgmtPath(up);
  t.deepEqual(p, { kind: 'chain', netnsPath: '/proc/4242/ns/net' });
  t.regex(describeMgmtPath(p), /through the chain \(CT101 → warp0\)/);
});

test('first provisioning (CT101 has no route out yet), CT101 down, WARP down: direct, and the reason is said', (t) => {
  t.regex(describeMgmtPath(chooseMgmtPath({ ...up, ct101DefaultRoute: false })), /direct from the node \(CT101 has no route through warp0 yet \(first provisioning\)\)/);
  t.regex(describeMgmtPath(chooseMgmtPath({ ...up, ct101: 'missing', netnsPath: null })), /direct .*CT101 is missing/);
  t.regex(describeMgmtPath(chooseMgmtPath({ ...up, warpTunnelUp: false })), /direct .*WARP tunnel is not up/);
});

test('the chain path dials through a relay in CT101\'s namespace; the direct path dials TCP', (t) => {
  const chain = vpsExecFromConfig(config, { kind: 'chain', netnsPath: '/proc/4242/ns/net' }) as unknown as { opts: { proxyCommand?: string[] } };
  t.deepEqual(chain.opts.proxyCommand?.slice(0, 3), ['nsenter', '--net=/proc/4242/ns/net', '--']);
  t.deepEqual(chain.opts.proxyCommand?.slice(-2), ['%h', '%p']);
  const direct = vpsExecFromConfig(config, { kind: 'direct', reason: 'x' }) as unknown as { opts: { proxyCommand?: string[] } };
  t.is(direct.opts.proxyCommand, undefined);
});

function fakeRuntime(status: 'running' | 'stopped' | 'missing', container: FakeHostExec): ContainerRuntime {
  return {
    kind: 'netns',
    status: async () => status,
    exec: () => container,
    netnsPathOf: async (id: number) => `/run/netns/lab-ct${id}`,
  } as unknown as ContainerRuntime;
}

test('observe reads CT101\'s default route and the WARP tunnel link (read-only queries only)', async (t) => {
  const container = new FakeHostExec().on(['ip', '-4', '-j', 'route', 'show', 'table', 'main'], () => ({ stdout: '[{"dst":"default","gateway":"10.100.0.1","dev":"eth0"},{"dst":"10.100.0.0/24","dev":"eth0"}]' }));
  const node = new FakeHostExec().on(['ip', '-j', 'addr', 'show', 'dev', 'wgcf'], () => ({ stdout: '[{"ifname":"wgcf","flags":["POINTOPOINT","NOARP","UP","LOWER_UP"]}]' }), { times: 'any' });
  const cfg = { ...config, plugins: { privacy_router: { ...config.plugins.privacy_router, xray: { ...config.plugins.privacy_router.xray, socket_port: 'eth0' }, warp: { ...config.plugins.privacy_router.warp, tunnel_interface: 'wgcf' } } } };
  const o = await observeMgmtPath(cfg, node, fakeRuntime('running', container));
  t.deepEqual(o, { ct101: 'running', ct101DefaultRoute: true, warpTunnelUp: true, netnsPath: '/run/netns/lab-ct101' });
  t.is(chooseMgmtPath(o).kind, 'chain');
  const empty = new FakeHostExec().on(['ip', '-4', '-j', 'route', 'show', 'table', 'main'], () => ({ stdout: '[{"dst":"10.100.0.0/24","dev":"eth0"}]' }));
  t.is(chooseMgmtPath(await observeMgmtPath(cfg, node, fakeRuntime('running', empty))).kind, 'direct');
  t.deepEqual(await observeMgmtPath(cfg, new FakeHostExec(), fakeRuntime('stopped', new FakeHostExec())), { ct101: 'stopped', ct101DefaultRoute: false, warpTunnelUp: false, netnsPath: null });
});

test('plan says which path the first provisioning takes (before the VPS steps), and nothing when the VPS is converged', (t) => {
  const plan = (changed: boolean) => ({ vps: { steps: [{ step: 'vps:engine', target: 'ssh:root@vps:22', outcome: changed ? 'changed' : 'unchanged', detail: 'install v2ray' }] }, client: null }) as unknown as XrayPlan;
  const first = xrayPlanChanges(plan(true), chooseMgmtPath({ ...up, ct101: 'missing', netnsPath: null })).map((c) => c.describe);
  t.regex(first[0]!, /^vps management SSH: direct from the node \(CT101 is missing\); later runs go through the chain$/);
  t.regex(first[1]!, /^vps vps:engine: install v2ray$/);
  const later = xrayPlanChanges(plan(false), chooseMgmtPath(up)).map((c) => c.describe);
  t.false(later.some((d) => d.includes('management SSH')));
});
