/**
 * The lab's mesh pieces (lab/test code only): the Netmaker server STAND-IN run
 * as a process in a lab namespace, a `netclient` executable per node that runs
 * the netclient STAND-IN with that node's private config dir, machine-unique
 * mesh interface names, the mesh containers' HTTP responders, and cleanup of
 * everything the stand-in netclient started (its daemon, its wireguard-go).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isWireguardGoFor, killGroup, pidsWhere, startProcess, waitFor, type Scope } from './harness/index.js';
import { scriptArgv } from './self.js';

/** The running server stand-in. */
export interface NetmakerServer {
  url: string;
  caFile: string;
  masterKeyFile: string;
}

/** netclient's interface name for a lab node: `netmaker` + 6 hex (machine-unique, <= 15 chars; wireguard-go's socket dir is shared by all namespaces). */
export function meshIfname(prefix: string, node: string): string {
  return `netmaker${createHash('sha256').update(`${prefix}/${node}`).digest('hex').slice(0, 6)}`;
}

/** Start the Netmaker server stand-in in `ns` on host:port with `networks`; the master key is written 0600. */
export async function startNetmakerServer(scope: Scope, o: { ns: string; host: string; port: number; networks: Record<string, string> }): Promise<NetmakerServer> {
  const dir = path.join(scope.dir, 'netmaker-server');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const masterKeyFile = path.join(dir, 'master.key');
  writeFileSync(masterKeyFile, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  const cfg = path.join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ host: o.host, port: o.port, dir, masterKeyFile, networks: o.networks }), { mode: 0o600 });
  const info = await startStandin(scope, { name: 'netmaker-server', ns: o.ns, argv: [...scriptArgv('lab/standins/netmaker-server'), '--config', cfg] });
  return { ...info, masterKeyFile };
}

/** Start an HTTPS stand-in process and wait for the {"url","caFile"} line it prints once it listens. */
export async function startStandin(scope: Scope, o: { name: string; ns: string; argv: string[] }): Promise<{ url: string; caFile: string }> {
  const proc = await startProcess(scope, o);
  let info: { url: string; caFile: string } | undefined;
  await waitFor(`${o.name} stand-in`, () => {
    const line = proc.log().split('\n').find((l) => l.startsWith('{'));
    if (line) info = JSON.parse(line) as { url: string; caFile: string };
    return info !== undefined;
  }, 20_000);
  return info!;
}

/**
 * Write `<dir>/bin/netclient`, the executable privroute runs as `netclient` on a
 * lab node: it execs the netclient stand-in with the node's config dir and the
 * server's CA (a real node has /etc/netclient and the system roots).
 * Registers the cleanup of the stand-in's daemon and interface.
 */
export function netclientExecutable(scope: Scope, node: string, caFile: string, iface: string): string {
  const dir = path.join(scope.dir, `netclient-${node}`);
  mkdirSync(path.join(dir, 'bin'), { recursive: true, mode: 0o700 });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const argv = [...scriptArgv('lab/standins/netclient'), '--config-dir', path.join(dir, 'etc'), '--ca-file', caFile];
  const bin = path.join(dir, 'bin', 'netclient');
  writeFileSync(bin, `#!/bin/sh\n# lab: runs the netclient STAND-IN for node ${node}\nexec ${argv.map(q).join(' ')} "$@"\n`, { mode: 0o700 });
  chmodSync(bin, 0o700);
  scope.defer(`netclient stand-in ${node}`, () => void stopNetclient(dir, iface));
  return bin;
}

/** Stop the stand-in daemon(s) of one config dir and its wireguard-go (exact argv match), remove the socket. */
export function stopNetclient(dir: string, iface: string): number {
  const etc = path.join(dir, 'etc');
  const daemon = (argv: string[]) => argv.includes('daemon') && argv.some((a, i) => a === '--config-dir' && argv[i + 1] === etc);
  const pids = pidsWhere((argv) => daemon(argv) || isWireguardGoFor(iface)(argv));
  for (const pid of pids) killGroup(pid, 'SIGKILL');
  rmSync(`/var/run/wireguard/${iface}.sock`, { force: true });
  return pids.length;
}

/** Run a small HTTP responder (python http.server) in `ns` on `port` answering `body` at `/`. */
export async function startResponder(scope: Scope, o: { ns: string; port: number; body: string; name: string }): Promise<void> {
  const dir = path.join(scope.dir, `www-${o.name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), o.body + '\n');
  await startProcess(scope, { name: o.name, ns: o.ns, argv: ['python3', '-u', '-m', 'http.server', String(o.port), '--bind', '0.0.0.0', '--directory', dir] });
}
