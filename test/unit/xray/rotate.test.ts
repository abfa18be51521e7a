import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../../src/config/index.js';
import { StateStore } from '../../../src/state/store.js';
import { rotateXray } from '../../../src/xray/rotate.js';
import { loadMaterial, saveMaterial } from '../../../src/xray/state.js';
import { newUser, seededRandom } from '../../../src/xray/secrets.js';
import { clientLayout } from '../../../src/xray/client.js';
import { vpsLayout } from '../../../src/xray/vps/layout.js';
import { fakeVps } from './fake-vps.js';
import { goldenMaterial } from './golden.js';
import { applianceTopology } from '../../../src/topology/topology.js';

const config = validateConfig({ version: 1, plugins: { privacy_router: {
  wireguard: { enabled: true, container_id: 100, socket_port: 'internal_100', subnet: '10.66.0.0/24' },
  warp: { enabled: true, interface: 'warp0' },
  xray: { enabled: true, container_id: 101, socket_port: 'internal_101', profile: 'vless-tls' },
  vps: { xray_server: '203.0.113.10', engine_install: 'package' },
} } });

interface Call { side: string; method: string; frame: string }

/** Both ends as stateful fakes; engine API calls are recorded in one timeline with the server's config at that moment. */
function setup(t: { teardown(fn: () => void): void }, grpcStatus = 0) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prx-rot-'));
  const store = StateStore.open(dir, { create: true });
  t.teardown(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });
  const vps = fakeVps({}, 'ssh:root@203.0.113.10:22');
  const container = fakeVps({}, 'netns:ct101');
  const timeline: (Call & { serverClients: string[] })[] = [];
  for (const [side, fake] of [['vps', vps], ['client', container]] as const) {
    fake.on(['curl', '-sS', '--http2-prior-knowledge', '--max-time', '5', '-X', 'POST', '-H', 'content-type: application/grpc', '-H', 'te: trailers', '--data-binary', '@-', '-D', '-', '-o', '/dev/null', /http:\/\/127\.0\.0\.1:10085\/.+/], ({ captures: [url], stdin }) => {
      const cfg = vps.files.get('/etc/privroute-xray/config.json');
      timeline.push({
        side, method: url!.split('/').pop()!, frame: stdin!.toString('latin1'),
        serverClients: cfg ? JSON.parse(cfg.content.toString()).inbounds[0].settings.clients.map((c: { id: string }) => c.id) : [],
      });
      return `HTTP/2 200\ncontent-type: application/grpc\n\ngrpc-status: ${grpcStatus}\ngrpc-message: ${grpcStatus ? 'unknown service' : ''}\n`;
    }, { times: 'any' });
  }
  const ctx = { config, store, topology: applianceTopology(config, store), vps, container, vpsService: 'process' as const, clientService: 'process' as const, vpsLayout: vpsLayout(), clientLayout: clientLayout(), rand: seededRandom('rot') };
  return { store, vps, container, timeline, ctx };
}

test('lockstep order: server adds, client adds new then removes old, server removes; never a moment the server rejects the client', async (t) => {
  const { store, timeline, ctx, vps, container } = setup(t);
  const m0 = goldenMaterial();
  saveMaterial(store, m0);
  const report = await rotateXray(ctx);
  const m1 = loadMaterial(store)!;
  t.deepEqual(timeline.map((c) => `${c.side}:${c.method}`), ['vps:AlterInbound', 'client:AddOutbound', 'client:RemoveOutbound', 'vps:AlterInbound']);
  t.true(timeline[0]!.frame.includes('AddUserOperation') && timeline[0]!.frame.includes(m1.clientUser.uuid));
  t.true(timeline[1]!.frame.includes('vps-g2') && timeline[1]!.frame.includes(m1.clientUser.uuid));
  t.true(timeline[2]!.frame.includes('vps-g1'));
  t.true(timeline[3]!.frame.includes('RemoveUserOperation') && timeline[3]!.frame.includes(m0.clientUser.email));
  // While the client switched, the server's config accepted both identities.
  t.deepEqual(timeline[1]!.serverClients, [m0.clientUser.uuid, m1.clientUser.uuid]);
  t.deepEqual(report, { ...report, fromGeneration: 1, toGeneration: 2, serverMethod: 'hot', clientMethod: 'hot' });
  t.deepEqual(m1.serverUsers, [m1.clientUser]);
  t.is(m1.tls.certPem, m0.tls.certPem);
  // No restarts on either side, and the UUIDs never went through argv.
  t.is(vps.state.starts + container.state.starts, 0);
  for (const f of [vps, container]) t.false(f.runs().some((a) => a.join(' ').includes(m1.clientUser.uuid)));
  const row = store.db.prepare('SELECT outcome, detail FROM rotations').get() as { outcome: string; detail: string };
  t.is(row.outcome, 'ok');
  t.false(row.detail.includes(m1.clientUser.uuid));
});

test('an interrupted rotation (server already accepts both) is resumed with the same new identity', async (t) => {
  const { store, timeline, ctx } = setup(t);
  const m0 = goldenMaterial();
  const pending = newUser(seededRandom('pending'), 2);
  saveMaterial(store, { ...m0, serverUsers: [m0.clientUser, pending], shortIds: [m0.clientShortId, 'aabbccddeeff0011'] });
  await rotateXray(ctx);
  const m1 = loadMaterial(store)!;
  t.is(m1.clientUser.uuid, pending.uuid);
  t.is(m1.clientShortId, 'aabbccddeeff0011');
  t.is(timeline.length, 4);
});

test('interrupted after the client switched: only the client switch (idempotent) and the removal run', async (t) => {
  const { store, timeline, ctx } = setup(t);
  const m0 = goldenMaterial();
  const next = newUser(seededRandom('next'), 2);
  saveMaterial(store, { ...m0, generation: 2, serverUsers: [m0.clientUser, next], clientUser: next });
  const report = await rotateXray(ctx);
  t.deepEqual([report.fromGeneration, report.toGeneration], [1, 2]);
  t.deepEqual(timeline.map((c) => `${c.side}:${c.method}`), ['client:AddOutbound', 'client:RemoveOutbound', 'vps:AlterInbound']);
  t.deepEqual(loadMaterial(store)!.serverUsers, [next]);
});

test('engine API unavailable: each side falls back to a restart and the report says so', async (t) => {
  const { store, ctx, vps, container } = setup(t, 12);
  saveMaterial(store, goldenMaterial());
  const report = await rotateXray(ctx);
  t.is(report.serverMethod, 'restart');
  t.is(report.clientMethod, 'restart');
  t.is(vps.state.starts, 2); // add-user, remove-user
  t.is(container.state.starts, 1);
});

test('no material yet: a StateError telling to run init', async (t) => {
  const { ctx } = setup(t);
  const err = await t.throwsAsync(rotateXray(ctx));
  t.regex(err!.message, /no XRay identity/);
  t.regex((err as { hint?: string }).hint ?? '', /privroute init/);
});
