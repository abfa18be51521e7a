/**
 * The lab's proof that the chain works: HTTP from the client device to the web
 * server succeeds and the server sees the VPS's address; the VPS sees its XRay
 * connection arrive from the WARP edge; the client's DNS query reaches the
 * resolver from the VPS (through the chain), and the answer comes back.
 */
import type { NetnsExec } from '../host/netns.js';
import { siteAddr, type World } from './world.js';

/** What the proof observed. */
export interface ChainProof {
  http: { ok: boolean; status: string; exitAddress: string | null };
  vpsPeers: string[];
  dns: { ok: boolean; answer: string; resolverSawFrom: string[] };
  ok: boolean;
}

/** Source addresses the python web server logged, in order. */
export function webSources(log: string): string[] {
  return [...log.matchAll(/^(?:::ffff:)?([0-9a-f.:]+) - - \[/gm)].map((m) => m[1]!);
}

/** Remote addresses of established TCP connections to `port` in a namespace. */
export async function tcpPeers(ns: NetnsExec, port: number): Promise<string[]> {
  const out = (await ns.run(['ss', '-Htn', 'state', 'established', `( sport = :${port} )`])).stdout;
  return out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, '').replace(/^\[?::ffff:/, '').replace(/\]$/, ''));
}

/** Run the proof from a client namespace (default: the access client). Never throws for a failed hop: reports it. */
export async function proveChain(world: World, opts: { dnsServer: string; timeoutSec?: number; from?: NetnsExec }): Promise<ChainProof> {
  const from = opts.from ?? world.client;
  const t = String(opts.timeoutSec ?? 10);
  const before = webSources(world.webLog()).length;
  const r = await from.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', t, world.webUrl], { okCodes: [0, 6, 7, 28, 52, 56] });
  const sources = webSources(world.webLog()).slice(before);
  const vpsPeers = await tcpPeers(world.vps, 443);
  const dnsBefore = world.dnsQuerySources().length;
  const q = await from.run(['dig', '+short', `+time=${t}`, '+tries=1', `@${opts.dnsServer}`, world.dns.name], { okCodes: [0, 9] });
  const answer = q.stdout.trim();
  const resolverSawFrom = world.dnsQuerySources().slice(dnsBefore);
  const http = { ok: r.stdout === '200', status: r.stdout || `curl exit ${r.code}`, exitAddress: sources.at(-1) ?? null };
  const dnsOk = answer === world.dns.answer;
  return {
    http,
    vpsPeers,
    dns: { ok: dnsOk, answer, resolverSawFrom },
    ok: http.ok && http.exitAddress === siteAddr('vps').v4 && dnsOk && resolverSawFrom.every((a) => a === siteAddr('vps').v4),
  };
}
