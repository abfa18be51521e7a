/**
 * MAC rotation through the side that owns each link (src/rotation/mac-plan.ts
 * has the steps as data). A socket moved into its container keeps its MAC when
 * OVSDB's Interface.mac changes (measured), so every link is moved where it lives:
 * `ip link set address` inside the container (through the runtime's executor),
 * on the node for warp0 / nm-privacy; the flows accept the old and the new MACs
 * while the links move, and the kernel's gratuitous ARP / unsolicited NA refresh
 * the neighbours. Every step is idempotent, and the journal (mac-journal.ts) is
 * written before the first change, so a process killed at any point leaves a
 * state the next `init` finishes (or, if it cannot, rolls back).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { OperationError } from '../core/errors.js';
import type { Topology } from '../topology/addressing.js';
import { topologyWithSalt } from '../topology/topology.js';
import { openflowEndpoint, reconcileSwitch } from '../flows/apply.js';
import type { CompiledPipeline } from '../flows/compile.js';
import { bridgeOfports } from '../flows/switch-state.js';
import type { HostExec } from '../host/exec.js';
import { compileFor } from '../appliance/flows.js';
import type { ApplianceContext } from '../appliance/context.js';
import { desiredBridge, desiredPorts } from '../appliance/ovs.js';
import { readLinkMac, setLinkMac } from '../net/link-mac.js';
import { ensurePorts } from '../ovs/ovsdb/bridge.js';
import { OvsdbClient } from '../ovs/ovsdb/rpc.js';
import { finishRotation, startRotation } from '../state/rotations.js';
import { commitSalt, readJournal, saltInForce, writeJournal, type MacJournal } from './mac-journal.js';
import { planMacMoves, unionPipeline, type LinkHome, type MacMove } from './mac-plan.js';

/** The steps, in order, as `onStep` reports them (the kill test keys its coverage on them). */
export const MAC_STEPS = ['journal', 'flows-both', 'links', 'ovsdb', 'verify', 'flows-new', 'commit'] as const;
export type MacStep = (typeof MAC_STEPS)[number];

/** Outcome of {@link rotateMacs}. No secrets (MACs and salts are public facts). */
export interface MacRotation {
  rotated: boolean;
  dryRun: boolean;
  from: string;
  to: string;
  moves: MacMove[];
  /** What each step does (dry run) or did. */
  steps: string[];
  rotationId?: number;
}

/** Options of {@link rotateMacs}. */
export interface RotateMacOptions {
  dryRun?: boolean;
  /** New salt (tests); default 12 random hex digits. */
  salt?: string;
  /** Called as each step starts (CLI progress). */
  onStep?: (step: MacStep, detail: string) => void;
}

/** The address plan of `config` under `salt` (same ports, other MACs). Pure. */
export function topologyForSalt(config: Config, salt: string): Topology {
  // The appliance's own builder: a second one here once left the ingress port out of a rotation.
  return topologyWithSalt(config, salt);
}

/** `ctx` with the topology of `salt`. */
function withSalt(ctx: ApplianceContext, salt: string): ApplianceContext {
  return { ...ctx, topology: topologyForSalt(ctx.config, salt) };
}

/** The executor of the namespace a link lives in. */
export function execFor(ctx: ApplianceContext, home: LinkHome): HostExec {
  if (home.kind === 'container') return ctx.runtime.exec(home.id);
  if (home.kind === 'node') return ctx.node;
  throw new Error('privroute does not reach links of foreign ports');
}

/** Human description of each step for `from` → `to` (the dry run prints these). Pure. */
export function describeSteps(moves: readonly MacMove[]): string[] {
  const where = (m: MacMove) => (m.home.kind === 'container' ? `in CT ${m.home.id}` : 'on the node');
  return [
    'journal: record the rotation in the store before touching anything',
    'flows-both: install the flows for the old AND the new MACs (anti-spoof, ARP, isolation, chain eth_dst, egress rewrite)',
    ...moves.map((m) => `links: ${m.name} ${m.from} -> ${m.to} ${where(m)} (gratuitous ARP / unsolicited NA by the kernel)`),
    'ovsdb: Interface.mac := the new MACs (a port re-created by ovs-vswitchd keeps them)',
    'verify: every link carries its new MAC',
    'flows-new: drop the flows for the old MACs',
    'commit: the new salt is in force; the rotation is logged',
  ];
}

async function applyFlows(ctx: ApplianceContext, compiled: CompiledPipeline): Promise<void> {
  await reconcileSwitch(openflowEndpoint(ctx.config), compiled, await bridgeOfports(ctx.config));
}

/**
 * Run (or re-run: every step is idempotent) the rotation of journal `j` to its
 * end: union flows, links, OVSDB, verify, new flows, commit. Throws
 * OperationError when a link is missing or does not take its MAC (nothing is
 * committed then; the journal stays for recovery).
 */
export async function runMacRotation(ctx: ApplianceContext, j: MacJournal, onStep: RotateMacOptions['onStep'] = () => {}): Promise<MacMove[]> {
  const before = withSalt(ctx, j.from);
  const after = withSalt(ctx, j.to);
  const moves = planMacMoves(before.topology, after.topology);
  onStep('flows-both', 'old and new MACs accepted');
  await applyFlows(ctx, unionPipeline(compileFor(before), compileFor(after)));
  onStep('links', `${moves.length} link(s)`);
  for (const m of moves) {
    const exec = execFor(ctx, m.home);
    const cur = await readLinkMac(exec, m.name);
    if (cur === null) throw new OperationError('rotate-mac', `link ${m.name} is not where it lives (${m.home.kind === 'container' ? `CT ${m.home.id}` : 'node'})`, { hint: 'run `privroute init` to place the sockets, then rotate again' });
    if (cur !== m.to) await setLinkMac(exec, m.name, m.to);
  }
  onStep('ovsdb', 'Interface.mac');
  const c = await OvsdbClient.connect(ctx.config.plugins.privacy_router.ovs.db);
  try {
    await ensurePorts(c, desiredBridge(after).name, desiredPorts(after));
  } finally {
    await c.close();
  }
  onStep('verify', 'links carry their new MAC');
  const wrong: string[] = [];
  for (const m of moves) {
    const cur = await readLinkMac(execFor(ctx, m.home), m.name);
    if (cur !== m.to) wrong.push(`${m.name} (${cur ?? 'missing'}, want ${m.to})`);
  }
  if (wrong.length) throw new OperationError('rotate-mac', `the new MAC is not in use on ${wrong.join(', ')}`, { hint: 'run `privroute init`: it finishes or rolls back the rotation' });
  onStep('flows-new', 'old MACs no longer accepted');
  await applyFlows(ctx, compileFor(after));
  onStep('commit', j.to);
  ctx.store.tx(() => {
    commitSalt(ctx.store, j.to);
    finishRotation(ctx.store, j.rotationId, 'ok', JSON.stringify({ moves: moves.map((m) => ({ name: m.name, from: m.from, to: m.to })) }));
  });
  return moves;
}

/**
 * Rotate every MAC privroute reaches (see the module comment). Refuses (nothing
 * changed) while another rotation's journal is open. With `dryRun`, returns the
 * plan and touches nothing. Throws on failure with the journal left for `init`.
 */
export async function rotateMacs(ctx: ApplianceContext, o: RotateMacOptions = {}): Promise<MacRotation> {
  const open = readJournal(ctx.store);
  if (open) {
    throw new OperationError('rotate-mac', `a MAC rotation (#${open.rotationId}, started ${open.startedAt}) did not finish`, { hint: 'run `privroute init`: it finishes or rolls back the interrupted rotation' });
  }
  const from = saltInForce(ctx.store);
  const to = o.salt ?? randomBytes(6).toString('hex');
  const moves = planMacMoves(topologyForSalt(ctx.config, from), topologyForSalt(ctx.config, to));
  const steps = describeSteps(moves);
  if (o.dryRun) return { rotated: false, dryRun: true, from, to, moves, steps };
  o.onStep?.('journal', to);
  // The log row and the journal in one transaction: a kill leaves both or neither.
  const j: MacJournal = ctx.store.tx(() => {
    const jj = { from, to, rotationId: startRotation(ctx.store, 'mac'), startedAt: new Date().toISOString() };
    writeJournal(ctx.store, jj);
    return jj;
  });
  try {
    await runMacRotation(ctx, j, o.onStep);
  } catch (e) {
    ctx.logger?.warn({ err: (e as Error).message }, 'MAC rotation interrupted; `privroute init` finishes or rolls it back');
    throw e;
  }
  return { rotated: true, dryRun: false, from, to, moves, steps, rotationId: j.rotationId };
}

/** What {@link recoverMacRotation} did. */
export interface MacRecovery {
  rotationId: number;
  outcome: 'finished' | 'rolled-back' | 'abandoned';
  detail: string;
}

/**
 * Called by `init` (and the daemon's repair) before the components run: an
 * interrupted rotation is finished; if that fails, it is run backwards to the old
 * salt; if even that fails, the old salt is put back in force (the components —
 * OVSDB, the sockets' MACs, the flows — then converge to it). Returns null when no
 * rotation was open. Never throws for a failed rotation (the log row says it).
 */
export async function recoverMacRotation(ctx: ApplianceContext): Promise<MacRecovery | null> {
  const j = readJournal(ctx.store);
  if (!j) return null;
  try {
    await runMacRotation(ctx, j);
    return { rotationId: j.rotationId, outcome: 'finished', detail: `finished the interrupted MAC rotation #${j.rotationId}` };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]!;
    try {
      await runMacRotation(ctx, { ...j, from: j.to, to: j.from });
      finishRotation(ctx.store, j.rotationId, 'rolled-back', `could not finish: ${why}`);
      return { rotationId: j.rotationId, outcome: 'rolled-back', detail: `rolled back the interrupted MAC rotation #${j.rotationId}: ${why}` };
    } catch (e2) {
      ctx.store.tx(() => {
        commitSalt(ctx.store, j.from);
        finishRotation(ctx.store, j.rotationId, 'failed', `could not finish (${why}) nor roll back (${(e2 as Error).message.split('\n')[0]}); the old MACs are put back by init`);
      });
      return { rotationId: j.rotationId, outcome: 'abandoned', detail: `abandoned the interrupted MAC rotation #${j.rotationId}; init restores the old MACs` };
    }
  }
}
