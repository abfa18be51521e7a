/**
 * Lockstep rotation of the client identity (VLESS UUID, and REALITY shortId):
 *
 *   1. the VPS accepts old + new   (config rewritten; user added live via the API)
 *   2. the client switches to new  (config rewritten; the new outbound is added
 *                                   live, then the old one removed)
 *   3. the VPS drops old           (config rewritten; user removed live)
 *
 * At every instant the server accepts the UUID of every connection the client can
 * open, so no request fails: connections already open finish on the old identity
 * (neither engine re-checks an authenticated connection), new ones use whichever
 * outbound the balancer sees, both accepted. Where the engine API cannot make a
 * change live (REALITY shortIds, an Xray client's REALITY outbound, an API call
 * that fails), that side is restarted instead and the report says so: a restart
 * drops connections in flight on that side, new ones are retried by the client
 * engine's dialer.
 *
 * Each phase's material is persisted before it is applied, so an interrupted
 * rotation is resumed (not restarted) by the next run.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { redactText } from '../core/logger.js';
import type { HostExec } from '../host/exec.js';
import type { StateStore } from '../state/store.js';
import { addInboundUser, addTlsOutbound, removeInboundUser, removeOutbound } from './api/handler.js';
import { clientDesiredFromConfig, clientLayout, clientLoadedStamp, clientRenderInput, clientServiceSpec, type ClientDesired } from './client.js';
import { assertProfileSupported, detectEngine } from './engine.js';
import { outboundTag, serialize, TAGS } from './render/common.js';
import { renderClient } from './render/client.js';
import { cryptoRandom, newShortId, newUser } from './secrets.js';
import { recordLoaded } from './service/loaded.js';
import { serviceManager } from './service/process.js';
import { detectServiceManager } from './service/detect.js';
import { containerExecFromConfig, vpsExecOverMgmtPath } from './connect.js';
import { finishRotation, requireMaterial, saveMaterial, startRotation } from './state.js';
import type { EngineInfo, RotationReport, XrayMaterial } from './types.js';
import { vpsDesiredFromConfig } from './vps/desired.js';
import { ensureEngineConfig } from './vps/files.js';
import { vpsLayout } from './vps/layout.js';
import { waitListening } from './vps/observe.js';
import { renderVpsConfig, vpsLoadedStamp, vpsServiceSpec, type VpsDesired } from './vps/provision.js';
import { Steps } from './vps/step.js';
import type { XrayContext } from './init.js';
import { applianceTopology } from '../topology/topology.js';

/** What `rotate xray` needs (built by the CLI from its context): the init context and a logger. */
export interface XrayRotateContext extends XrayContext {
  log?: Logger;
}

const ALREADY = /already exists/i;
const NOT_FOUND = /not found/i;

/** What `privroute rotate xray` gets from the CLI (structurally: the CLI context). */
export interface RotateCliContext {
  readonly config: Config;
  store(): StateStore;
  readonly logger: Logger;
  output(data: unknown, human: () => string): void;
}

/**
 * `privroute rotate xray` (dispatched from src/cli/commands/rotate.ts): connects
 * to the VPS (SshExec, pinned key) and CT101 (container runtime), rotates, prints
 * the report (no secrets in it).
 */
export async function runRotateXray(cli: RotateCliContext): Promise<void> {
  const { vps, path, describe } = await vpsExecOverMgmtPath(cli.config);
  cli.logger.info({ path: path.kind }, describe);
  try {
    const pr = cli.config.plugins.privacy_router;
    const r = await rotateXray({
      config: cli.config, store: cli.store(), topology: applianceTopology(cli.config, cli.store()), vps, container: containerExecFromConfig(cli.config), log: cli.logger,
      // Same layouts as init (files_root: '' on real hosts, a private dir in the lab).
      vpsLayout: vpsLayout(pr.vps.files_root), clientLayout: clientLayout(pr.xray.files_root),
    });
    cli.output(r, () => [
      `XRay rotated: generation ${r.fromGeneration} -> ${r.toGeneration} (server ${r.serverMethod}, client ${r.clientMethod})`,
      ...r.steps.map((s) => `  ${s.step.padEnd(18)} ${s.outcome.padEnd(9)} ${s.target}${s.detail ? `  ${s.detail}` : ''}`),
    ].join('\n'));
  } finally {
    await vps.close();
  }
}

/** Rotate; see the module comment. Resolves with what each side did; rejects naming host and step. */
export async function rotateXray(ctx: XrayRotateContext): Promise<RotationReport> {
  const rand = ctx.rand ?? cryptoRandom;
  let m = requireMaterial(ctx.store);
  // A run resumed after the client switched (state C) started from the generation before.
  const from = m.serverUsers.length === 2 && m.clientUser.uuid === m.serverUsers[1]!.uuid ? m.generation - 1 : m.generation;
  const rowId = startRotation(ctx.store, 'xray');
  const vpsSteps = new Steps(ctx.vps.target, 'vps');
  const cliSteps = new Steps(ctx.container.target, 'client');
  const methods = { server: 'hot' as 'hot' | 'restart', client: 'hot' as 'hot' | 'restart' };
  try {
    const clientEngine = await cliSteps.run('capability', async () => {
      const e = await detectEngine(ctx.container);
      if (!e) throw new Error('no proxy engine in the container');
      assertProfileSupported(e, ctx.config.plugins.privacy_router.xray.profile, ctx.container.target);
      return e;
    });
    const vpsService = ctx.vpsService ?? (await vpsSteps.run('service', () => detectServiceManager(ctx.vps)));
    const clientService = ctx.clientService ?? (await cliSteps.run('service', () => detectServiceManager(ctx.container)));
    const vd = (mat: XrayMaterial) => vpsDesiredFromConfig(ctx.config, mat, { service: vpsService, layout: ctx.vpsLayout, clientEngine });
    const vpsEngine = await vpsSteps.run('capability', async () => {
      const d = vd(m);
      const e = await detectEngine(ctx.vps, d.install === 'upload' ? d.layout.uploadBinary : d.engineBinary);
      if (!e) throw new Error('no proxy engine on the VPS');
      assertProfileSupported(e, d.profile, ctx.vps.target);
      return e;
    });
    const cd = (mat: XrayMaterial) => clientDesiredFromConfig(ctx.config, ctx.topology, mat, { service: clientService, layout: ctx.clientLayout });

    // Phase 1: the server accepts old + new (state B). Resumed runs skip what is done.
    if (m.serverUsers.length === 1) {
      m = { ...m, serverUsers: [m.clientUser, newUser(rand, m.generation + 1)], shortIds: [m.clientShortId, newShortId(rand)] };
      saveMaterial(ctx.store, m);
    }
    if (m.clientUser.uuid === m.serverUsers[0]!.uuid) {
      const d = vd(m);
      const next = m.serverUsers[1]!;
      await vpsSteps.run('add-user', () => updateServer(ctx.vps, d, vpsEngine, methods, async () => {
        if (d.profile === 'vless-reality-vision') return false; // shortIds are not live-changeable
        await addInboundUser(ctx.vps, vpsEngine, d.layout.apiPort, TAGS.vlessIn, next, '').catch((e: Error) => {
          if (!ALREADY.test(e.message)) throw e;
        });
        return true;
      }));
      vpsSteps.note('add-user', 'changed', `accepts generation ${m.generation} and ${m.generation + 1}`);
      // Phase 2 state (C): the client's identity is the new one.
      m = { ...m, generation: m.generation + 1, clientUser: next, clientShortId: m.shortIds[1] ?? m.clientShortId };
      saveMaterial(ctx.store, m);
    }
    {
      const d = cd(m);
      await cliSteps.run('switch', () => updateClient(ctx.container, d, clientEngine, methods));
      cliSteps.note('switch', 'changed', `uses generation ${m.generation} (${methods.client})`);
    }

    // Phase 3: the server drops the old user.
    const oldUsers = m.serverUsers.filter((u) => u.uuid !== m.clientUser.uuid);
    m = { ...m, serverUsers: [m.clientUser], shortIds: [m.clientShortId] };
    saveMaterial(ctx.store, m);
    {
      const d = vd(m);
      await vpsSteps.run('remove-user', () => updateServer(ctx.vps, d, vpsEngine, methods, async () => {
        if (d.profile === 'vless-reality-vision') return false;
        for (const u of oldUsers) {
          await removeInboundUser(ctx.vps, vpsEngine, d.layout.apiPort, TAGS.vlessIn, u.email).catch((e: Error) => {
            if (!NOT_FOUND.test(e.message)) throw e;
          });
        }
        return true;
      }));
      vpsSteps.note('remove-user', 'changed', `accepts generation ${m.generation} only`);
    }
    const report: RotationReport = {
      kind: 'xray', fromGeneration: from, toGeneration: m.generation, serverMethod: methods.server, clientMethod: methods.client,
      steps: [...vpsSteps.reports, ...cliSteps.reports].sort((a, b) => order(a.step) - order(b.step)),
    };
    finishRotation(ctx.store, rowId, 'ok', `generation ${from} -> ${m.generation}; server ${methods.server}, client ${methods.client}`);
    ctx.log?.info({ from, to: m.generation, server: methods.server, client: methods.client }, 'xray rotated');
    return report;
  } catch (e) {
    finishRotation(ctx.store, rowId, 'failed', redactText((e as Error).message.split('\n')[0]!).slice(0, 500));
    throw e;
  }
}

const ORDER = ['client:capability', 'vps:capability', 'vps:add-user', 'client:switch', 'vps:remove-user'];
const order = (s: string) => ORDER.indexOf(s);

/** Rewrite the server config, then apply it live (`live()` true) or by restart. */
async function updateServer(exec: HostExec, d: VpsDesired, engine: EngineInfo, methods: { server: 'hot' | 'restart' }, live: () => Promise<boolean>): Promise<void> {
  const config = renderVpsConfig(d, engine);
  await ensureEngineConfig(exec, engine, engine.binary, d.layout.configPath, config);
  let hot = false;
  try {
    hot = await live();
  } catch {
    hot = false; // the API is unavailable or refused: fall back to a restart, which reads the config just written
  }
  if (!hot) {
    methods.server = 'restart';
    const spec = vpsServiceSpec(d, engine);
    await serviceManager(d.service).restart(exec, spec);
    await waitListening(exec, d.port, () => serviceManager(d.service).status(exec, spec), afterRestart(d.port));
  }
  // The running engine now matches the file (live change or restart): init must not restart it again.
  await recordLoaded(exec, d.layout.configPath, vpsLoadedStamp(d, config));
}

/** Rewrite the client config, then switch the running engine live (v2ray + vless-tls) or by restart. */
async function updateClient(exec: HostExec, d: ClientDesired, engine: EngineInfo, methods: { client: 'hot' | 'restart' }): Promise<void> {
  const input = clientRenderInput(d, engine);
  const config = serialize(renderClient(input));
  await ensureEngineConfig(exec, engine, engine.binary, d.layout.configPath, config);
  const loaded = () => recordLoaded(exec, d.layout.configPath, clientLoadedStamp(d, config));
  const newTag = outboundTag(d.material.generation);
  const oldTag = outboundTag(d.material.generation - 1);
  if (engine.kind === 'v2ray' && d.profile === 'vless-tls') {
    try {
      await addTlsOutbound(exec, engine, d.layout.apiPort, {
        tag: newTag, address: d.vpsAddress, port: d.vpsPort, user: d.material.clientUser, serverName: d.vpsAddress, certPem: d.material.tls.certPem, mark: d.mark,
      }).catch((e: Error) => {
        if (!ALREADY.test(e.message)) throw e;
      });
      // Only after the new outbound exists: the balancer is never left empty.
      await removeOutbound(exec, engine, d.layout.apiPort, oldTag).catch((e: Error) => {
        if (!NOT_FOUND.test(e.message)) throw e;
      });
      await loaded();
      return;
    } catch {
      // The API is unavailable or refused: fall through to a restart, which reads the config just written.
    }
  }
  methods.client = 'restart';
  const spec = clientServiceSpec(d, engine);
  await serviceManager(d.service).restart(exec, spec);
  await waitListening(exec, d.socksPort, () => serviceManager(d.service).status(exec, spec), afterRestart(d.socksPort));
  await loaded();
}

/** Wait options after a restart: 10 s, polled every 100 ms. */
function afterRestart(port: number): Parameters<typeof waitListening>[3] {
  return { timeoutMs: 10_000, intervalMs: 100, onTimeout: () => new Error(`the engine did not listen on ${port}/tcp after the restart`) };
}
