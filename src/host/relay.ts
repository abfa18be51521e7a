/**
 * A TCP↔stdio relay as an argv, for {@link SshOptions.proxyCommand}: a tiny Node
 * program (this very Node binary, no other tool needed) that connects to
 * `%h:%p` and pipes the socket to its stdin/stdout. Run behind a prefix that
 * puts it in another network namespace (`ip netns exec <ns>`, `nsenter
 * --net=<path> --`), the TCP connection leaves from that namespace while the SSH
 * session stays in this process. Connect errors go to stderr, exit 1.
 */
import type { SshOptions } from './ssh.js';

const RELAY = [
  "const net=require('net');const [h,p]=process.argv.slice(1);",
  'const s=net.connect({host:h,port:Number(p)});',
  "s.on('connect',()=>{process.stdin.pipe(s);s.pipe(process.stdout);});",
  "s.on('error',(e)=>{process.stderr.write('relay: connect to '+h+' port '+p+': '+e.message+'\\n');process.exit(1);});",
  "s.on('close',()=>process.exit(0));process.stdin.on('end',()=>s.end());",
].join('');

/** The relay's argv run after `prefix` (which must end with the command separator it needs, e.g. `--`). */
export function tcpRelayArgv(prefix: readonly string[]): NonNullable<SshOptions['proxyCommand']> {
  return [...prefix, process.execPath, '-e', RELAY, '%h', '%p'];
}

/** The relay run inside the network namespace at `nsPath` (`/run/netns/X`, `/proc/<pid>/ns/net`). */
export function netnsPathRelayArgv(nsPath: string): NonNullable<SshOptions['proxyCommand']> {
  return tcpRelayArgv(['nsenter', `--net=${nsPath}`, '--']);
}
