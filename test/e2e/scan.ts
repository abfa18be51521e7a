/**
 * A port scan of one address from a lab namespace (python3's sockets: the real
 * kernel on both sides, no scanner stand-in). TCP: a connect that completes is
 * open, RST is closed, silence is filtered. UDP: an ICMP port-unreachable is
 * closed, silence is "open|filtered" (a UDP service that ignores garbage, like
 * WireGuard, is silent too). Only ports that are not closed are returned.
 */
import type { NetnsExec } from '../../src/host/netns.js';

const PROGRAM = `
import socket, select, sys, json, time
host = sys.argv[1]; ports = json.loads(sys.argv[2]); fam = socket.AF_INET6 if ':' in host else socket.AF_INET
tcp = {}
for p in ports:
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(1.0)
    try:
        s.connect((host, p)); tcp[p] = 'open'
    except ConnectionRefusedError: tcp[p] = 'closed'
    except OSError: tcp[p] = 'filtered'
    finally: s.close()
udp = {}
for i in range(0, len(ports), 200):
    socks = {}
    for p in ports[i:i + 200]:
        s = socket.socket(fam, socket.SOCK_DGRAM); s.setblocking(False); s.connect((host, p)); s.send(b'\\x01' + b'\\x00' * 147); socks[s] = p
    end = time.time() + 2.0
    while socks and time.time() < end:
        r, _, _ = select.select(list(socks), [], [], max(0, end - time.time()))
        for s in r:
            p = socks.pop(s)
            try: s.recv(2048); udp[p] = 'open'
            except OSError: udp[p] = 'closed'
            s.close()
    for s, p in socks.items(): udp[p] = 'open|filtered'; s.close()
print(json.dumps({'tcp': {k: v for k, v in tcp.items() if v != 'closed'}, 'udp': {k: v for k, v in udp.items() if v != 'closed'}}))
`;

/** What a scan found: port → state, for the ports that are not closed. */
export interface ScanResult {
  tcp: Record<string, string>;
  udp: Record<string, string>;
}

/** Scan `host` on `ports` (TCP and UDP) from namespace `from`. */
export async function scanPorts(from: NetnsExec, host: string, ports: readonly number[]): Promise<ScanResult> {
  const r = await from.run(['python3', '-c', PROGRAM, host, JSON.stringify([...new Set(ports)].sort((a, b) => a - b))]);
  return JSON.parse(r.stdout) as ScanResult;
}

/** Ports 1-1024, then every 211th port up to 65535: the sample of "everything else". */
export function samplePorts(): number[] {
  const out: number[] = [];
  for (let p = 1; p <= 1024; p++) out.push(p);
  for (let p = 1025; p <= 65535; p += 211) out.push(p);
  return out;
}
