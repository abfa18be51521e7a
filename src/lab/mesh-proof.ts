/**
 * The mesh proof (lab/test code): from each node's namespace — a mesh peer of
 * the others — real HTTP requests to another node's mesh address on each
 * function port and on a port no function names; and a tcpdump witness on the
 * target's vector_db socket while that node's privacy socket tries to reach it
 * directly (a static neighbour entry, so the frame really enters the bridge).
 * The witness must see the mesh request (it is live) and 0 privacy packets.
 */
import { NetnsExec } from '../host/netns.js';
import { sleep, startProcess, waitFor, type Scope } from './harness/index.js';

/** One node as the proof sees it. */
export interface MeshProofNode {
  name: string;
  /** The node's namespace (where its netclient interface lives). */
  ns: string;
  meshIface: string;
  /** Namespace of container `id` of this node. */
  ctNs(id: number): string;
}

/** The outcome for one direction. */
export interface MeshPairProof {
  from: string;
  to: string;
  toAddress: string;
  vectorDb: string;
  bucketStorage: string;
  /** curl's exit code for the undeclared port (28 = timed out). */
  otherPortCode: number;
  witnessMeshPackets: number;
  witnessPrivacyPackets: number;
  ok: boolean;
}

/** The node's address on the mesh (its netclient interface). */
export async function meshAddress(n: MeshProofNode): Promise<string> {
  const out = await new NetnsExec(n.ns).run(['ip', '-j', '-4', 'addr', 'show', 'dev', n.meshIface]);
  return JSON.parse(out.stdout)[0].addr_info[0].local as string;
}

/** curl from a namespace: exit code and body (connect timeout 4 s). */
export async function curlIn(ns: string, url: string): Promise<{ code: number; body: string }> {
  const r = await new NetnsExec(ns).run(['curl', '-sS', '--connect-timeout', '4', '-m', '6', url], { okCodes: [0, 7, 28, 52, 56] });
  return { code: r.code, body: r.stdout.trim() };
}

/** Prove one direction: `from`'s namespace calls `to`'s functions. */
export async function proveMeshPair(scope: Scope, from: MeshProofNode, to: MeshProofNode, otherPort = 7777): Promise<MeshPairProof> {
  const ip = await meshAddress(to);
  await waitFor(`mesh ${from.name} → ${to.name}`, async () => (await curlIn(from.ns, `http://${ip}:8080/`)).code === 0, 30_000);
  const cap = await startProcess(scope, { name: `witness-${from.name}-${to.name}`, ns: to.ctNs(200), argv: ['tcpdump', '-n', '-l', '-i', 'internal_200', 'tcp port 8080'] });
  await sleep(1500); // tcpdump has no "listening" signal on a pipe; a control packet below proves it was live
  const vec = await curlIn(from.ns, `http://${ip}:8080/`);
  const bucket = await curlIn(from.ns, `http://${ip}:9000/`);
  const other = await curlIn(from.ns, `http://${ip}:${otherPort}/`);
  const ct100 = new NetnsExec(to.ctNs(100));
  const mac200 = JSON.parse((await new NetnsExec(to.ctNs(200)).run(['ip', '-j', 'link', 'show', 'dev', 'internal_200'])).stdout)[0].address as string;
  await ct100.run(['ip', 'route', 'replace', '10.78.0.0/24', 'dev', 'internal_100']);
  await ct100.run(['ip', 'neigh', 'replace', '10.78.0.200', 'lladdr', mac200, 'dev', 'internal_100']);
  await curlIn(to.ctNs(100), 'http://10.78.0.200:8080/');
  await sleep(1500);
  await cap.stop();
  const lines = cap.log().split('\n').filter((l) => / IP /.test(l));
  const privacy = lines.filter((l) => l.includes('10.77.0.')).length;
  const mesh = lines.length - privacy;
  const ok = vec.code === 0 && bucket.code === 0 && vec.body.startsWith('vector_db@') && bucket.body.startsWith('bucket_storage@') && other.code === 28 && mesh > 0 && privacy === 0;
  return { from: from.name, to: to.name, toAddress: ip, vectorDb: vec.body || `curl exit ${vec.code}`, bucketStorage: bucket.body || `curl exit ${bucket.code}`, otherPortCode: other.code, witnessMeshPackets: mesh, witnessPrivacyPackets: privacy, ok };
}

/** Human line for one direction. */
export function meshProofLine(p: MeshPairProof, otherPort = 7777): string {
  return `${p.from} → ${p.to} (${p.toAddress}): 8080 ${p.vectorDb}, 9000 ${p.bucketStorage}, ${otherPort} ${p.otherPortCode === 28 ? 'timed out' : `curl exit ${p.otherPortCode}`}; witness at ${p.to}'s internal_200: ${p.witnessMeshPackets} mesh packet(s), ${p.witnessPrivacyPackets} privacy packet(s) — ${p.ok ? 'PROVEN' : 'NOT PROVEN'}`;
}
