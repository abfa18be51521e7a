/**
 * Engines in the containers: each chain container carries the programs its hop runs
 * (CT100: wireguard-tools, wireguard-go where the node has no kernel WireGuard,
 * iptables; CT101: the proxy engine, iptables, curl). The chain containers have no
 * route out of their own, so the NODE fetches what they need and pushes it in:
 *
 * - Debian packages: the container's dpkg status is pulled to the node, and the node's
 *   apt resolves and downloads exactly what that status lacks
 *   (`apt-get install --download-only -o Dir::State::status=<copy>`; nothing is
 *   installed on the node, no lock taken); the .debs are pushed in and installed with
 *   one `dpkg -i`.
 * - An operator-supplied binary (Xray-core): the node file must match its pinned
 *   SHA-256; it is pushed to its path in the container (0755).
 *
 * observe (read-only) → reconcile (pure) → apply (exactly the plan). A second run
 * finds everything installed and changes nothing.
 */
import type { HostExec } from '../host/exec.js';
import type { Change, Component } from '../core/runner.js';
import { OperationError } from '../core/errors.js';

/** An operator-supplied binary with its pinned digest. */
export interface PinnedBinary {
  /** Path on the node. */
  source: string;
  /** Lowercase hex SHA-256 the node file must have. */
  sha256: string;
  /** Absolute path inside the container. */
  dest: string;
}

/** What one container must carry. */
export interface EngineNeed {
  id: number;
  /** Debian package names. */
  packages: string[];
  binaries?: PinnedBinary[];
}

/** How the component reaches the node and the containers. */
export interface EngineHost {
  node: HostExec;
  container(id: number): HostExec;
  /** A private node-side work dir for one apply (created 0700 and removed by the component). */
  workDir: string;
  /** The node's archive cache for the containers' packages (kept: a cached .deb is not fetched again). */
  debCache: string;
}

/** Observed per container: installed packages and the digests of the pinned destinations. */
export interface EnginesObserved {
  installed: Map<number, Set<string>>;
  digests: Map<number, Map<string, string | null>>;
}

export type EngineChange = Change & { id: number; packages: string[]; binaries: PinnedBinary[] };

/** Parse `dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n'`: the fully installed ones. */
export function parseInstalled(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status?.startsWith('ii')) out.add(name.replace(/:.*$/, ''));
  }
  return out;
}

/** Pure: what each container lacks. */
export function reconcileEngines(needs: readonly EngineNeed[], obs: EnginesObserved): EngineChange[] {
  const out: EngineChange[] = [];
  for (const n of needs) {
    const have = obs.installed.get(n.id) ?? new Set<string>();
    const packages = n.packages.filter((p) => !have.has(p));
    const binaries = (n.binaries ?? []).filter((b) => obs.digests.get(n.id)?.get(b.dest) !== b.sha256);
    if (!packages.length && !binaries.length) continue;
    const what = [...(packages.length ? [`install ${packages.join(', ')}`] : []), ...binaries.map((b) => `push ${b.dest} (sha256 ${b.sha256.slice(0, 12)}…)`)];
    out.push({ id: n.id, packages, binaries, describe: `CT ${n.id}: ${what.join('; ')} (fetched by the node)` });
  }
  return out;
}

/** Read what each container has. Read-only. */
export async function observeEngines(host: EngineHost, needs: readonly EngineNeed[]): Promise<EnginesObserved> {
  const installed = new Map<number, Set<string>>();
  const digests = new Map<number, Map<string, string | null>>();
  for (const n of needs) {
    const ct = host.container(n.id);
    const q = await ct.run(['dpkg-query', '-W', '-f', '${Package}\t${db:Status-Abbrev}\n'], { okCodes: [0, 1] });
    installed.set(n.id, parseInstalled(q.stdout));
    const d = new Map<string, string | null>();
    for (const b of n.binaries ?? []) {
      const r = await ct.run(['sha256sum', b.dest], { okCodes: [0, 1] });
      d.set(b.dest, r.code === 0 ? r.stdout.split(/\s+/)[0]! : null);
    }
    digests.set(n.id, d);
  }
  return { installed, digests };
}

/** Parse `apt-get -s install` output: the packages apt would unpack, as archive file names. */
export function parseSimulatedInstalls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([a-z0-9]+)\]\)/gm)) {
    // apt's archive names escape the epoch colon.
    out.push(`${m[1]}_${m[2]!.replace(/:/g, '%3a')}_${m[3]}.deb`);
  }
  return out;
}

/**
 * The node-side steps for one container's packages: resolve against the container's dpkg
 * status (apt simulates an install on that status), download what is not in the node's
 * archive cache, and return the node paths of exactly the archives to install.
 */
async function fetchDebs(host: EngineHost, id: number, packages: string[]): Promise<string[]> {
  const status = `${host.workDir}/ct${id}.status`;
  await host.node.run(['mkdir', '-p', '-m', '0700', `${host.debCache}/partial`]);
  await host.node.writeFile(status, await host.container(id).readFile('/var/lib/dpkg/status'), 0o600);
  const apt = (extra: string[]) => [
    'apt-get', '-q', '-y', '--no-install-recommends', '-o', `Dir::State::status=${status}`, '-o', `Dir::Cache::archives=${host.debCache}`,
    '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root', ...extra, 'install', ...packages,
  ];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  try {
    const sim = await host.node.run(apt(['-s']), { timeoutMs: 300_000, env });
    await host.node.run(apt(['--download-only']), { timeoutMs: 600_000, env });
    return parseSimulatedInstalls(sim.stdout).map((f) => `${host.debCache}/${f}`);
  } catch (e) {
    throw new OperationError('engines', `the node could not fetch ${packages.join(', ')} for CT ${id}: ${(e as Error).message.split('\n').slice(0, 3).join(' / ')}`, {
      cause: e,
      hint: "the node fetches the containers' packages: run `apt-get update` on the node and check its Debian sources",
    });
  }
}

/** Apply the plan: per container, fetch on the node, push in, install; push pinned binaries. */
export async function applyEngines(host: EngineHost, changes: readonly EngineChange[]): Promise<void> {
  for (const c of changes) {
    const ct = host.container(c.id);
    if (c.packages.length) {
      const debs = await fetchDebs(host, c.id, c.packages);
      const inside = '/var/cache/privroute/debs';
      // One archive of the .debs, one push (each push is a round trip through pct).
      const tar = `${host.workDir}/ct${c.id}.tar`;
      await host.node.run(['tar', '-cf', tar, '-C', host.debCache, ...debs.map((d) => d.split('/').pop()!)]);
      await ct.run(['mkdir', '-p', '-m', '0700', inside]);
      try {
        await ct.writeFile(`${inside}/debs.tar`, await host.node.readFile(tar), 0o600);
        await ct.run(['tar', '-xf', `${inside}/debs.tar`, '-C', inside]);
        const dests = debs.map((d) => `${inside}/${d.split('/').pop()!}`);
        if (dests.length) await ct.run(['dpkg', '-i', ...dests], { timeoutMs: 600_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
      } finally {
        await ct.run(['rm', '-rf', inside]);
      }
    }
    for (const b of c.binaries) {
      const sum = (await host.node.run(['sha256sum', b.source])).stdout.split(/\s+/)[0];
      if (sum !== b.sha256) {
        throw new OperationError('engines', `${b.source} on the node has SHA-256 ${sum}, not the pinned ${b.sha256}`, { hint: 'check the file you downloaded (and its signature), then pin its digest in the config' });
      }
      await ct.run(['mkdir', '-p', b.dest.replace(/\/[^/]+$/, '') || '/']);
      await ct.writeFile(b.dest, await host.node.readFile(b.source), 0o755);
    }
  }
}

/**
 * The component: after the containers run, before the hops that need their programs.
 * `needs` is resolved at observe time (it may depend on what the node has); apply works
 * in `host.workDir` (created 0700, always removed).
 */
export function enginesComponent(host: EngineHost, needs: () => Promise<readonly EngineNeed[]>, dependsOn: string[] = ['containers']): Component<EnginesObserved, EngineChange> {
  let resolved: readonly EngineNeed[] = [];
  return {
    name: 'engines',
    dependsOn,
    observe: async () => observeEngines(host, (resolved = await needs())),
    plan: (o) => reconcileEngines(resolved, o),
    async apply(changes) {
      await host.node.run(['mkdir', '-p', '-m', '0700', host.workDir]);
      try {
        await applyEngines(host, changes);
      } finally {
        await host.node.run(['rm', '-rf', host.workDir]);
      }
    },
  };
}
