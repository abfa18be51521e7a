/**
 * `privroute lab up|down|status`: the whole chain on this machine in network
 * namespaces (see src/lab/lab.ts). `up` prints the proof: the exit address the
 * web server saw, the VPS's view of its XRay peer, DNS through the chain.
 */
import type { Command } from 'commander';
import { InputError, OperationError } from '../../core/errors.js';
import { action, type CliContext } from '../context.js';
import { DEFAULT_LAB_PREFIX, MAX_LAB_NODES, labDown, labInfo, labUp } from '../../lab/lab.js';
import { proveChain, type ChainProof } from '../../lab/proof.js';
import { siteAddr } from '../../lab/world.js';
import { cliArgv } from '../../lab/self.js';
import { spawnArgv } from '../../host/local.js';
import { inNodeNet } from '../../lab/pct-standin.js';
import { meshProofLine, proveMeshPair, type MeshPairProof, type MeshProofNode } from '../../lab/mesh-proof.js';
import { meshIfname } from '../../lab/mesh-lab.js';
import type { Lab, LabNode } from '../../lab/lab.js';

/** A lab node as the mesh proof sees it. */
function proofNodeOf(lab: Lab, n: LabNode): MeshProofNode {
  const ctPrefix = n.key === 'node' ? `${lab.prefix}-ct` : `${lab.prefix}-${n.key}ct`;
  return { name: n.key, ns: n.ns, meshIface: meshIfname(lab.prefix, n.key), ctNs: (id) => `${ctPrefix}${id}` };
}

/** Render a proof for humans. */
export function proofText(p: ChainProof): string {
  return [
    `http client → web: ${p.http.ok ? 'OK' : 'FAILED'} (${p.http.status}); the web server saw ${p.http.exitAddress ?? 'nothing'} (the VPS is ${siteAddr('vps').v4})`,
    `vps: XRay connection(s) from ${p.vpsPeers.join(', ') || 'nobody'} (the WARP edge is ${siteAddr('edge').v4})`,
    `dns through the chain: ${p.dns.ok ? 'OK' : 'FAILED'} (${p.dns.answer || 'no answer'}); the resolver saw ${p.dns.resolverSawFrom.join(', ') || 'no query'}`,
    `chain: ${p.ok ? 'PROVEN' : 'NOT PROVEN'}`,
  ].join('\n');
}

async function up(ctx: CliContext, prefix: string, keep: boolean, runtime: 'netns' | 'pct', nodeCount: number): Promise<void> {
  const lab = await labUp({ prefix, keepOnFailure: keep, runtime, nodes: nodeCount, log: (l) => ctx.io.err.write(l + '\n') });
  const proof = await proveChain(lab.world, { dnsServer: '10.13.13.1' });
  // The wan client (through the node's uplink address and the ingress) proves the same chain.
  const wan = await proveChain(lab.world, { dnsServer: '10.13.13.1', from: lab.world.phone });
  // With several nodes: each node's mesh peer (its namespace) calls every other node's functions.
  const mesh: MeshPairProof[] = [];
  for (const a of lab.nodes) for (const b of lab.nodes) if (a !== b) mesh.push(await proveMeshPair(lab.scope, proofNodeOf(lab, a), proofNodeOf(lab, b)));
  const plans: string[] = [];
  const statuses: string[] = [];
  for (const n of lab.nodes) {
    plans.push(`${n.key}: ${(await n.privroute(['plan'], { okCodes: [0, 1] })).stdout.trim()}`);
    // Each hop's health, as `privroute status` sees it on the node (the lab's trace page stands in for Cloudflare's).
    const st = await n.privroute(['status', '--warp-trace-url', `http://${siteAddr('inet').v4}:8080/cdn-cgi/trace`], { okCodes: [0, 1] });
    statuses.push(`privroute status on ${n.key}:\n${st.stdout.trim()}`);
  }
  ctx.output({ prefix, proof, wanProof: wan, mesh, plan: plans, status: statuses }, () =>
    [
      `access client (LAN port ${lab.client.conf.peer.endpoint}):\n${proofText(proof)}`,
      `wan client (phone, ${lab.phone.conf.peer.endpoint} on the node's uplink):\n${proofText(wan)}`,
      `${mesh.map((p) => `mesh: ${meshProofLine(p)}`).join('\n')}${mesh.length ? '\n' : ''}plan after up: ${plans.join('; ')}`,
      statuses.join('\n\n'),
      `lab ${prefix} is up; "privroute lab down --prefix ${prefix}" removes it`,
    ].join('\n\n'));
  if (mesh.some((p) => !p.ok)) throw new OperationError('lab', 'function routing across the mesh did not prove itself', { hint: `inspect the lab under /run/privroute-lab/${prefix}, then "privroute lab down --prefix ${prefix}"` });
  if (!proof.ok || !wan.ok) throw new OperationError('lab', 'the chain did not prove itself', { hint: `inspect the lab under /run/privroute-lab/${prefix}, then "privroute lab down --prefix ${prefix}"` });
}

/** Register `lab` on `program`. */
export function register(program: Command): void {
  program
    .command('lab [action]')
    .description('the whole chain on this machine in namespaces: up, down or status')
    .option('--prefix <name>', 'resource name prefix (lowercase letters and digits)', DEFAULT_LAB_PREFIX)
    .option('--keep', 'on failure, leave the lab in place for inspection', false)
    .option('--runtime <kind>', 'netns: containers are namespaces; pct: unprivileged LXC containers made by `privroute init` through the pct stand-in', 'netns')
    .option('--nodes <n>', `appliance nodes on the wan, each with its own chain, joined to one mesh (1-${MAX_LAB_NODES}; more than 1 with --runtime netns)`, '1')
    .action(
      action(async (ctx, cmd) => {
        const what = (cmd.args[0] ?? 'status') as string;
        const prefix = cmd.opts<{ prefix: string }>().prefix;
        if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new InputError({ path: '--prefix', value: prefix, expected: '2-6 lowercase letters/digits starting with a letter (interface names stay <= 15 chars)' });
        const runtime = cmd.opts<{ runtime: string }>().runtime;
        if (runtime !== 'netns' && runtime !== 'pct') throw new InputError({ path: '--runtime', value: runtime, expected: 'netns or pct' });
        const nodes = Number(cmd.opts<{ nodes: string }>().nodes);
        if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_LAB_NODES) throw new InputError({ path: '--nodes', value: cmd.opts<{ nodes: string }>().nodes, expected: `a number of nodes 1..${MAX_LAB_NODES}` });
        if (nodes > 1 && runtime === 'pct') throw new InputError({ path: '--nodes', value: nodes, expected: '1 with --runtime pct (more nodes run with --runtime netns)' });
        if (what === 'up') return up(ctx, prefix, cmd.opts<{ keep: boolean }>().keep, runtime, nodes);
        if (what === 'down') {
          const removed = await labDown(prefix);
          ctx.output({ prefix, removed }, () => (removed.length ? `removed:\n  ${removed.join('\n  ')}` : `no lab ${prefix} to remove`));
          return;
        }
        if (what === 'status') {
          const info = labInfo(prefix);
          if (!info) {
            ctx.output({ prefix, up: false }, () => `lab ${prefix} is not up`);
            return;
          }
          // Each hop, as the node sees it: `privroute status` run inside the lab's node namespace.
          const st = await spawnArgv(`netns:${info.ns.node}`, [...(info.runtime === 'pct' ? inNodeNet(info.ns.node!) : ['ip', 'netns', 'exec', info.ns.node!]), ...cliArgv(), '--config', info.configFile, '--state-dir', info.stateDir, 'status', '--warp-trace-url', `http://${siteAddr('inet').v4}:8080/cdn-cgi/trace`], { okCodes: [0, 1], timeoutMs: 120_000, env: info.env });
          ctx.output({ up: true, ...info, status: st.stdout.trim() }, () => `lab ${prefix} is up\nconfig: ${info.configFile}\nstate:  ${info.stateDir}\n\n${st.stdout.trim()}`);
          return;
        }
        throw new InputError({ path: 'lab <action>', value: what, expected: 'up, down or status' });
      }),
    );
}
