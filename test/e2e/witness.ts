/**
 * Leak witnesses for the e2e tests: tcpdump captures started inside a lab
 * namespace, proven live by a control packet, and read back inside the same
 * namespace; plus the traffic a client (or a misbehaving path) would send.
 */
import path from 'node:path';
import { NetnsExec } from '../../src/host/netns.js';
import type { ExecutionContext } from 'ava';
import { sleep, startProcess, waitFor, type Proc, type Scope } from '../../src/lab/harness/index.js';
import { proveChain, type ChainProof } from '../../src/lab/proof.js';
import { siteAddr, type World } from '../../src/lab/world.js';
import { NETMAKER_PORT } from '../../src/lab/lab.js';

/** A running capture. */
export interface Capture {
  /** Stop after the control packet arrived; returns packet counts. */
  finish(): Promise<{ leaks: number; control: number; lines: string[] }>;
}

let seq = 0;

/**
 * Capture packets arriving (`-Q in`) on `iface` in `ns` that match `leakFilter`,
 * plus a control packet (UDP to port 9 from the wan router) that proves the
 * capture saw traffic up to the moment it is stopped.
 */
export async function captureLeaks(scope: Scope, ns: NetnsExec, iface: string, leakFilter: string, controlFrom: NetnsExec, controlTo: string): Promise<Capture> {
  const pcap = path.join(scope.dir, `cap-${++seq}.pcap`);
  const filter = `(${leakFilter}) or (udp dst port 9)`;
  const proc: Proc = await startProcess(scope, { name: `tcpdump-${seq}`, ns: ns.name, argv: ['tcpdump', '-i', iface, '-Q', 'in', '-n', '-U', '--immediate-mode', '-w', pcap, filter] });
  await waitFor('tcpdump listening', () => /listening on/.test(proc.log()), 10_000);
  return {
    async finish() {
      // The control packet: once it is in the file, everything before it is too.
      await waitFor('control packet captured', async () => {
        await controlFrom.run(['python3', '-c', `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b'control',('${controlTo}',9))`]);
        const r = await ns.run(['tcpdump', '-r', pcap, '-n', 'udp dst port 9'], { okCodes: [0, 1] });
        return r.stdout.trim() !== '';
      }, 10_000);
      await proc.stop();
      const all = (await ns.run(['tcpdump', '-r', pcap, '-n', `(${leakFilter}) and not (udp dst port 9)`], { okCodes: [0, 1] })).stdout.split('\n').filter(Boolean);
      const control = (await ns.run(['tcpdump', '-r', pcap, '-n', 'udp dst port 9'], { okCodes: [0, 1] })).stdout.split('\n').filter(Boolean).length;
      return { leaks: all.length, control, lines: all.slice(0, 10) };
    },
  };
}

/** What the client tries while a hop is down: TCP, UDP (DNS direct and random), ICMP, over IPv4 and IPv6. */
export async function clientTraffic(client: NetnsExec): Promise<{ httpOk: boolean }> {
  const web = siteAddr('inet');
  const http = await client.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${web.v4}/`], { okCodes: [0, 6, 7, 28, 52, 56] });
  const tries: string[][] = [
    ['dig', '+short', '+time=1', '+tries=1', `@${web.v4}`, 'web.lab.test'],
    ['dig', '+short', '+time=1', '+tries=1', '@10.13.13.1', 'web.lab.test'],
    ['ping', '-c', '2', '-i', '0.2', '-W', '1', web.v4],
    ['python3', '-c', `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);[s.sendto(b'leak?',('${web.v4}',p)) for p in (53,123,443,5000)]`],
    ['curl', '-sS', '-o', '/dev/null', '--max-time', '2', `http://[${web.v6}]/`],
    ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '1', web.v6],
    ['python3', '-c', `import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.sendto(b'leak?',('${web.v6}',53))`],
  ];
  for (const argv of tries) await client.run(argv, { okCodes: [0, 1, 2, 6, 7, 9, 28, 52, 56] });
  return { httpOk: http.stdout === '200' };
}

/** The gateway's listen port in the lab (the seed's default): the only port the ingress answers on. */
export const INGRESS_PORT_NUMBER = 51820;

/** tcpdump filter: ICMPv6 neighbour discovery and MLD (types 130-143), the link's own housekeeping. */
export const ND = 'icmp6 and ip6[40] >= 130 and ip6[40] <= 143';

/**
 * The three chain witnesses: the internet (nothing but the VPS may reach it),
 * the VPS's :443 (never from the node's own address: the WARP hop bypassed), and
 * the node's uplink (no chain or client address; nothing of the node's own but
 * WireGuard and the API to the WARP edge and SSH to the VPS, and the ingress's
 * WireGuard replies to the wan client). A foreign guest
 * routed through the node (192.168.x) is none of these. The node's own
 * control-plane connection to its Netmaker server (netclient, from the node's
 * address to the operator's server, in the lab on inet:8443) is management
 * traffic of the node, as SSH to the VPS is, not client traffic: it is excluded
 * by exactly that source, destination and port.
 */
export async function chainWitnesses(scope: Scope, w: World): Promise<Capture[]> {
  const VPS = siteAddr('vps');
  const EDGE = siteAddr('edge');
  const NODE = siteAddr('node');
  // The ingress's replies to the wan client (the phone): the node's uplink address, from the WireGuard port only.
  const phone = `${siteAddr('phone').v4.replace(/\.\d+$/, '')}.0/24`;
  const INET = siteAddr('inet').v4;
  const netmaker = `(src host ${NODE.v4} and dst host ${INET} and tcp dst port ${NETMAKER_PORT})`;
  return [
    await captureLeaks(scope, w.inet, 'up0', `(ip and not src host ${VPS.v4} and not ${netmaker}) or (ip6 and not src host ${VPS.v6} and not (${ND}))`, w.wan, INET),
    await captureLeaks(scope, w.vps, 'up0', `src host ${NODE.v4} and tcp port 443`, w.wan, VPS.v4),
    await captureLeaks(
      scope, w.wan, `wn-node`,
      `(ip and (src net 10.0.0.0/8 or (src host ${NODE.v4} and not (dst host ${EDGE.v4} and (udp port 2408 or tcp port 443 or icmp)) and not (dst host ${VPS.v4} and tcp port 22) and not (dst host ${INET} and tcp dst port ${NETMAKER_PORT}) and not (dst net ${phone} and udp src port ${INGRESS_PORT_NUMBER})))) or (ip6 and not (${ND}))`,
      w.node, siteAddr('node', 1).v4,
    ),
  ];
}

/** Finish the captures of {@link chainWitnesses}: each saw its control packet and counted 0 leaks. */
export async function assertNoLeak(tt: ExecutionContext, caps: Capture[]): Promise<void> {
  const names = ['internet', 'vps', 'node uplink'];
  for (const [i, c] of caps.entries()) {
    const r = await c.finish();
    tt.true(r.control >= 1, `${names[i]} capture saw its control packet`);
    tt.is(r.leaks, 0, `${names[i]}: leaked packets:\n${r.lines.join('\n')}`);
  }
}

/** Prove the chain from `from` (default: the access client), retrying while WireGuard re-handshakes after a repair. */
export async function proveChainEventually(w: World, from: NetnsExec = w.client): Promise<ChainProof> {
  let p = await proveChain(w, { dnsServer: '10.13.13.1', timeoutSec: 4, from });
  for (let i = 0; i < 12 && !p.ok; i++) {
    await sleep(2500);
    p = await proveChain(w, { dnsServer: '10.13.13.1', timeoutSec: 4, from });
  }
  return p;
}
