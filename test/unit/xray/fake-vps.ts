/**
 * A VPS modelled as state for FakeHostExec: packages, an engine binary, the
 * process-managed service, TCP listeners, and an iptables filter table. Handlers
 * mutate the state the way the real commands do, so a second provisioning run
 * observes what the first one did.
 */
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { emptyNetState, withNet, type NetState } from '../../helpers/fake-net.js';

/** A chain's rules without their ownership comments. */
export function bareChain(state: VpsState, chain: string): string[] | undefined {
  return state.net.chains.get(`4/filter/${chain}`)?.lines.map((l) => l.replace(/ -m comment --comment privroute\/[a-z-]+:[0-9a-f]{12}$/, ''));
}

export interface VpsState {
  packages: Set<string>;
  /** Binaries that print a banner: path or PATH name -> banner. */
  engines: Map<string, string>;
  /** Packages that provide an engine when installed. */
  provides: Record<string, string>;
  service: { pid: number | null; argv: string[] };
  /** Foreign listeners: port -> [name, pid]. */
  foreign: Map<number, [string, number]>;
  /** Whether the started engine binds its port (false models a crash-on-start). */
  engineBinds: boolean;
  /** The VPS's network stack (iptables chains as state). */
  net: NetState;
  nextPid: number;
  starts: number;
  /** The config text the running engine read when it started (null: not running). */
  loaded: string | null;
}

export const V2RAY_BANNER = 'V2Ray 4.34.0 (user) 20230518-074445 (go1.19.8 linux/amd64)\nA unified platform for anti-censorship.\n';

export function fakeVps(over: Partial<VpsState> = {}, target = 'ssh:root@203.0.113.10:22'): FakeHostExec<VpsState> {
  const state: VpsState = {
    packages: new Set(['v2ray']),
    engines: new Map([['v2ray', V2RAY_BANNER]]),
    provides: { v2ray: V2RAY_BANNER },
    service: { pid: null, argv: [] },
    foreign: new Map(),
    engineBinds: true,
    net: emptyNetState(),
    nextPid: 4000,
    starts: 0,
    loaded: null,
    ...over,
  };
  const fake = new FakeHostExec<VpsState>({
    target,
    state,
    files: { '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' },
  });
  const listenPort = (): number | null => {
    const cfgPath = state.service.argv[state.service.argv.indexOf('-config') + 1];
    const cfg = cfgPath ? fake.files.get(cfgPath) : undefined;
    return cfg ? JSON.parse(cfg.content.toString()).inbounds[0].port : null;
  };
  fake
    .on(['uname', '-m'], () => 'x86_64\n', { times: 'any' })
    .on(['dpkg-query', '-W', '-f', '${Status}', /.+/], ({ captures: [p] }) =>
      state.packages.has(p!) ? 'install ok installed' : { code: 1, stderr: `dpkg-query: no packages found matching ${p}\n` }, { times: 'any' })
    .on(['apt-get', 'update'], () => '', { times: 'any' })
    .on(['apt-get', 'install', '-y', '--no-install-recommends', /.+/], ({ captures: [p] }) => {
      state.packages.add(p!);
      if (state.provides[p!]) state.engines.set(p!, state.provides[p!]!);
    }, { times: 'any' })
    .on([/[^-].*/, /-?version/], ({ argv }) => {
      const banner = state.engines.get(argv[0]!) ?? state.engines.get(argv[0]!.replace(/^\/usr\/bin\//, ''));
      return banner ? banner : { code: 127, stderr: `${argv[0]}: command not found\n` };
    }, { times: 'any' })
    .on(['which', /.+/], ({ captures: [n] }) => (state.engines.has(n!) ? `/usr/bin/${n}\n` : { code: 1 }), { times: 'any' })
    .on(['test', '-x', /.+/], ({ captures: [p] }) => ({ code: state.engines.has(p!) ? 0 : 1 }), { times: 'any' })
    .on(['install', '-d', '-m', '0700', /.+/], () => '', { times: 'any' })
    .on(['install', '-d', '-m', '0755', /.+/, /.+/], () => '', { times: 'any' })
    .on([/.+/, '-test', '-config', /.+/], ({ captures: [, p], fake: f }) => {
      const c = f.files.get(p!);
      try { JSON.parse(c!.content.toString()); return 'Configuration OK.\n'; } catch { return { code: 23, stderr: 'invalid config' }; }
    }, { times: 'any' })
    .on(['rm', '-f', REST], ({ captures }) => void captures.forEach((p) => fake.files.delete(p)), { times: 'any' })
    .on(['start-stop-daemon', '--status', '--pidfile', /.+/], () => ({ code: state.service.pid ? 0 : 3 }), { times: 'any' })
    .on(['start-stop-daemon', '--stop', REST], ({ argv }) => {
      state.service.pid = null;
      state.loaded = null;
      fake.files.delete(argv[argv.indexOf('--pidfile') + 1]!);
    }, { times: 'any' })
    .on(['start-stop-daemon', '--start', REST], ({ argv }) => {
      const pidFile = argv[argv.indexOf('--pidfile') + 1]!;
      state.service = { pid: state.nextPid++, argv: [argv[argv.indexOf('--exec') + 1]!, ...argv.slice(argv.indexOf('--') + 1)] };
      state.starts++;
      const cfgPath = state.service.argv[state.service.argv.indexOf('-config') + 1];
      state.loaded = cfgPath ? fake.files.get(cfgPath)?.content.toString() ?? null : null;
      fake.files.set(pidFile, { content: Buffer.from(`${state.service.pid}\n`), mode: 0o644 });
    }, { times: 'any' })
    .on(['ss', '-ltnpH'], () => {
      const lines: string[] = ['LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=300,fd=3))'];
      for (const [port, [name, pid]] of state.foreign) lines.push(`LISTEN 0 511 *:${port} *:* users:(("${name}",pid=${pid},fd=6))`);
      const p = listenPort();
      if (state.service.pid && state.engineBinds && p) lines.push(`LISTEN 0 4096 *:${p} *:* users:(("v2ray",pid=${state.service.pid},fd=3))`);
      return lines.join('\n') + '\n';
    }, { times: 'any' });
  withNet(fake, state.net);
  return fake;
}
