/**
 * Benchmark: observing the VPS for `privroute plan`, one SSH round trip per probe
 * (planVps straight on the SshExec, as before issue 16) against one batched round
 * trip (planVpsBatched), alternated on the same connection so background load hits
 * both alike. Also counts the exec requests each way (deterministic).
 *
 * usage (root, a lab up: `privroute lab up --prefix P`), run inside the lab's node namespace:
 *   ip netns exec P-node node dist/bench/vps-observe.js --config /run/privroute-lab/P/config.json [--reps 5]
 * Prints ONE JSON object.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import type { HostExec } from '../src/host/exec.js';
import { SshExec } from '../src/host/ssh.js';
import { sshOptionsFromConfig } from '../src/host/ssh-config.js';
import { planVps, planVpsBatched } from '../src/xray/vps/plan.js';
import { vpsDesiredFromConfig } from '../src/xray/vps/desired.js';
import { vpsLayout } from '../src/xray/vps/layout.js';
import { detectServiceManager } from '../src/xray/service/detect.js';
import { loadMaterial } from '../src/xray/state.js';
import { StateStore } from '../src/state/store.js';
import { median, r3 } from './lib/cli-timing.js';

const { values: opt } = parseArgs({ options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, reps: { type: 'string', default: '5' } } });
const config = loadConfig({ file: opt.config, env: process.env });
const stateDir = opt['state-dir'] ?? opt.config!.replace(/config\.json$/, 'state');
const store = StateStore.open(stateDir, { create: false });
const material = loadMaterial(store);
store.close();
if (!material) throw new Error('no XRay identity in the store (run init)');
const r = config.plugins.privacy_router;
const desired = (service: 'systemd' | 'process') => vpsDesiredFromConfig(config, material, { service, layout: vpsLayout(r.vps.files_root) });
const ssh = new SshExec(sshOptionsFromConfig(r.vps));
let requests = 0;
const counting: HostExec & { runBatch: SshExec['runBatch'] } = {
  target: ssh.target,
  run: (a, o) => (requests++, ssh.run(a, o)),
  readFile: (p) => (requests++, ssh.readFile(p)),
  writeFile: (p, c, m) => (requests++, ssh.writeFile(p, c, m)),
  runBatch: (c, o) => (requests++, ssh.runBatch(c, o)),
};
const { runBatch: _omit, ...unbatched } = counting;
await ssh.connect();
const times = { per_probe: [] as number[], batched: [] as number[] };
const reqs = { per_probe: 0, batched: 0 };
for (let i = 0; i < Number(opt.reps); i++) {
  requests = 0;
  let t = performance.now();
  await planVps(unbatched, desired(await detectServiceManager(unbatched)));
  times.per_probe.push(r3((performance.now() - t) / 1000));
  reqs.per_probe = requests;
  requests = 0;
  t = performance.now();
  await planVpsBatched(counting, desired);
  times.batched.push(r3((performance.now() - t) / 1000));
  reqs.batched = requests;
}
await ssh.close();
const m = { per_probe: median(times.per_probe), batched: median(times.batched) };
process.stdout.write(
  JSON.stringify({ bench: 'vps-observe', date: new Date().toISOString(), loadavg: loadavg().map((x) => Math.round(x * 100) / 100), ssh_requests: reqs, median_s: m, speedup: r3(m.per_probe / m.batched), runs_s: times }, null, 2) + '\n',
);
