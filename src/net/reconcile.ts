/**
 * The one owner of node, container and VPS networking state: each hop hands it
 * its desired state as data ({@link NetDesired}, a pure function of config and
 * topology) and a HostExec for the target (the node, a container, the VPS); it
 * observes (read-only), plans (pure) and applies exactly the planned argv.
 *
 * The plan is in fail-closed order, adds before deletes:
 *   1. sysctls that switch something off (forwarding off before anything routes)
 *   2. owned chains, then rules inside owned chains, then rules (jumps) in the
 *      built-in chains — a jump never points at a chain still being filled
 *   3. policies (containers privroute owns only; never on the node or a VPS)
 *   4. fail-closed routes (blackhole/unreachable), then policy rules pointing at them
 *   5. links (MTU, addresses, up), then unicast routes
 *   6. sysctls that switch something on (forwarding last)
 *   7. deletes: stale rules of this owner, what a previous release installed
 *      without an ownership comment (legacy), stale policy rules and addresses.
 * Nothing it does not own is flushed or deleted.
 */
import type { Change } from '../core/runner.js';
import type { HostExec } from '../host/exec.js';
import {
  chainKey, checkArgv, deleteChainArgv, deleteLineArgv, deleteNumberArgv, deleteSpecArgv, insertArgv, placeRules, isBuiltinChain, jumpTarget, listTableArgv, newChainArgv,
  parseTableListing, policyArgv, ruleDrift, ruleId, iptablesBin, type NfChain, type NfFamily, type NfListing, type NfPolicy, type NfRule, type NfTable,
} from './netfilter.js';
import {
  describeRoute, describeRule, routeArgv, routeListArgv, routeMatches, ruleAddArgv, ruleDelArgv, ruleListArgv, ruleMatches,
  sysctlReadArgv, sysctlWriteArgv, type Family, type IpRoute, type IpRule, type JsonRoute, type JsonRule, type Sysctl,
} from './iproute.js';
import { addrDelArgv, addrReplaceArgv, linkMtuArgv, linkShowArgv, linkUpArgv, notLinkLocal6, parseIpAddrJson, type LinkDesired, type LinkState } from './links.js';

/** What a previous release installed without ownership comments, replaced on upgrade. */
export interface NetLegacy {
  /** Exact uncommented rules in built-in chains (checked with `iptables -C`). */
  rules?: readonly NfRule[];
  /** Old comment strings that marked this owner's rules (every line carrying one is legacy). */
  comments?: readonly string[];
  /** Policies the old release set, restored once (only while its rules are still seen). */
  restorePolicies?: readonly NfPolicy[];
}

/** The networking state one hop wants on one target. */
export interface NetDesired {
  /**
   * The owning hop; `[a-z0-9-]+`; names its rules' comments. One NetDesired holds
   * all of an owner's netfilter state on a target: rules of this owner it does not
   * list are stale and removed.
   */
  owner: string;
  chains?: readonly NfChain[];
  /** In order, per chain: ours stay at the top of the chain in this order. */
  rules?: readonly NfRule[];
  /** Only where privroute owns the whole namespace (its containers). */
  policies?: readonly NfPolicy[];
  ipRules?: readonly IpRule[];
  routes?: readonly IpRoute[];
  sysctls?: readonly Sysctl[];
  links?: readonly LinkDesired[];
  legacy?: NetLegacy;
}

/** What observe saw on the target. */
export interface NetObserved {
  chains: Map<string, NfListing>;
  /** Aligned with legacy.rules: true where `iptables -C` found it. */
  legacyRules: boolean[];
  ipRules: Map<Family, JsonRule[]>;
  /** key `${family}/${table}` */
  routes: Map<string, JsonRoute[]>;
  /** '' when the key does not exist. */
  sysctls: Map<string, string>;
  links: Map<string, LinkState | null>;
}

/** One step of the plan: what it does, and the argv that does it. */
export type NetChange = Change & { argv: string[]; okCodes?: number[] };

/** Options of {@link planNet}. */
export interface PlanNetOptions {
  /** Links that will be (re)created before this plan is applied: seen as absent, with their routes. */
  fresh?: readonly string[];
}

/**
 * The (family, table) pairs observed: every table of each family the hop uses,
 * so a rule it no longer wants in a chain it no longer uses is still seen (and pruned).
 */
function tablesOf(d: NetDesired): { family: NfFamily; table: NfTable }[] {
  const xs = [...(d.chains ?? []), ...(d.rules ?? []), ...(d.policies ?? []), ...(d.legacy?.rules ?? []), ...(d.legacy?.restorePolicies ?? [])];
  const families = [...new Set(xs.map((x) => x.family))].sort();
  const tables = [...new Set<NfTable>(['filter', 'nat', 'mangle', ...xs.map((x) => x.table)])];
  return families.flatMap((family) => tables.map((table) => ({ family, table })));
}

/**
 * Every argv {@link observeNet} runs for `d`, in no particular order (pure). A
 * batched observer (src/xray/vps/probes.ts) predicts its probes from this, so a
 * NetDesired's reads are answered in the same round trip whatever families it uses.
 */
export function observeArgv(d: NetDesired): string[][] {
  return [
    ...tablesOf(d).map(({ family, table }) => listTableArgv(family, table)),
    ...(d.legacy?.rules ?? []).map((r) => checkArgv(r)),
    ...[...new Set((d.ipRules ?? []).map((r) => r.family))].map((f) => ruleListArgv(f)),
    ...[...new Map((d.routes ?? []).map((r) => [`${r.family}/${r.table}`, r] as const)).values()].map((r) => routeListArgv(r.family, r.table)),
    ...(d.sysctls ?? []).map((s) => sysctlReadArgv(s.key)),
    ...(d.links ?? []).map((l) => linkShowArgv(l.name)),
  ];
}

/** Read everything `d` touches on the target. Read-only; every read runs concurrently (issue 16). */
export async function observeNet(exec: HostExec, d: NetDesired): Promise<NetObserved> {
  const all = <T, R>(xs: readonly T[], f: (x: T) => Promise<R>): Promise<R[]> => Promise.all(xs.map(f));
  const routeKeys = [...new Map((d.routes ?? []).map((r) => [`${r.family}/${r.table}`, r] as const)).entries()];
  const [tables, legacyRules, ipRules, routes, sysctls, links] = await Promise.all([
    // A table the kernel lacks (no ip6tables nat module) reads as empty.
    all(tablesOf(d), async ({ family, table }) => ({ family, table, r: await exec.run(listTableArgv(family, table), { okCodes: [0, 1, 2, 3] }) })),
    all(d.legacy?.rules ?? [], async (r) => (await exec.run(checkArgv(r), { okCodes: [0, 1, 2] })).code === 0),
    all([...new Set((d.ipRules ?? []).map((r) => r.family))], async (f) => [f, JSON.parse((await exec.run(ruleListArgv(f))).stdout || '[]') as JsonRule[]] as const),
    all(routeKeys, async ([key, r]) => {
      const out = await exec.run(routeListArgv(r.family, r.table), { okCodes: [0, 2] });
      return [key, out.code === 0 ? (JSON.parse(out.stdout || '[]') as JsonRoute[]) : []] as const;
    }),
    all(d.sysctls ?? [], async (s) => {
      const r = await exec.run(sysctlReadArgv(s.key), { okCodes: s.optional ? [0, 1, 255] : [0] });
      return [s.key, r.code === 0 ? r.stdout.trim() : ''] as const;
    }),
    all(d.links ?? [], async (l) => {
      const r = await exec.run(linkShowArgv(l.name), { okCodes: [0, 1] });
      return [l.name, r.code === 0 ? (parseIpAddrJson(r.stdout, notLinkLocal6).get(l.name) ?? null) : null] as const;
    }),
  ]);
  const chains = new Map<string, NfListing>();
  for (const { family, table, r } of tables) {
    if (r.code !== 0) continue;
    for (const [chain, listing] of parseTableListing(r.stdout)) chains.set(chainKey({ family, table, chain }), listing);
  }
  return { chains, legacyRules, ipRules: new Map(ipRules), routes: new Map(routes), sysctls: new Map(sysctls), links: new Map(links) };
}

const step = (describe: string, argv: string[], okCodes?: number[]): NetChange => (okCodes ? { describe, argv, okCodes } : { describe, argv });
const show = (r: NfRule) => `${iptablesBin(r.family)} -t ${r.table} ${r.chain} ${r.spec.join(' ')}`;

function sysctlSteps(d: NetDesired, o: NetObserved, on: boolean): NetChange[] {
  return (d.sysctls ?? [])
    .filter((s) => (s.value !== '0') === on)
    .filter((s) => !(s.optional && o.sysctls.get(s.key) === '') && o.sysctls.get(s.key) !== s.value)
    .map((s) => step(`sysctl ${s.key}=${s.value}`, sysctlWriteArgv(s)));
}

function netfilterAdds(d: NetDesired, o: NetObserved): NetChange[] {
  const out: NetChange[] = [];
  for (const c of d.chains ?? []) if (!o.chains.get(chainKey(c))?.exists) out.push(step(`create chain ${iptablesBin(c.family)} -t ${c.table} ${c.chain}`, newChainArgv(c)));
  const byChain = new Map<string, NfRule[]>();
  for (const r of d.rules ?? []) byChain.set(chainKey(r), [...(byChain.get(chainKey(r)) ?? []), r]);
  // Owned chains are filled before any jump into them is added.
  const order = [...byChain.keys()].sort((a, b) => Number(isBuiltinChain(a.split('/')[2]!)) - Number(isBuiltinChain(b.split('/')[2]!)));
  for (const k of order) {
    for (const { rule, pos } of placeRules(d.owner, byChain.get(k)!, o.chains.get(k)).inserts) out.push(step(`add ${show(rule)}`, insertArgv(d.owner, rule, pos)));
  }
  for (const p of d.policies ?? []) {
    if (o.chains.get(chainKey(p))?.policy !== p.policy) out.push(step(`${iptablesBin(p.family)} -t ${p.table} policy ${p.chain} ${p.policy}`, policyArgv(p)));
  }
  return out;
}

/** Lines to delete: stale lines of this owner, foreign lines in owned chains, legacy-comment lines, uncommented jumps into owned chains. */
function netfilterDeletes(d: NetDesired, o: NetObserved): { deletes: NetChange[]; legacySeen: boolean } {
  const wanted = new Set((d.rules ?? []).map(ruleId));
  const owned = new Set((d.chains ?? []).map((c) => c.chain));
  const legacyComments = d.legacy?.comments ?? [];
  const deletes: NetChange[] = [];
  let legacySeen = false;
  // Out-of-order copies first, by number (valid right after the inserts), then the rest by content.
  const byChain = new Map<string, NfRule[]>();
  for (const r of d.rules ?? []) byChain.set(chainKey(r), [...(byChain.get(chainKey(r)) ?? []), r]);
  for (const [key, rules] of byChain) {
    for (const pos of placeRules(d.owner, rules, o.chains.get(key)).misplaced) deletes.push(step(`remove out-of-order rule #${pos} of ${key}`, deleteNumberArgv(rules[0]!, pos)));
  }
  for (const [key, listing] of o.chains) {
    const [f, table, chain] = key.split('/') as [string, NfRule['table'], string];
    for (const l of listing.lines) {
      const mine = l.owner === d.owner;
      const legacy = !l.owner && (legacyComments.some((c) => l.line.includes(`--comment ${c}`) || l.line.includes(`--comment "${c}"`)) || owned.has(jumpTarget(l.line) ?? ''));
      const strayInOwned = !l.owner && owned.has(chain);
      if (legacy || strayInOwned) legacySeen = true;
      if ((mine && !wanted.has(l.id!)) || legacy || strayInOwned) {
        deletes.push(step(`remove ${mine ? 'stale' : 'pre-ownership'} ${l.line}`, deleteLineArgv(Number(f) as 4 | 6, table, l.line), [0, 1]));
      }
    }
  }
  (d.legacy?.rules ?? []).forEach((r, i) => {
    if (!o.legacyRules[i]) return;
    legacySeen = true;
    deletes.push(step(`remove pre-ownership ${show(r)}`, deleteSpecArgv(r), [0, 1]));
  });
  return { deletes, legacySeen };
}

/** desired + observed → the ordered changes (pure). Empty = converged. */
export function planNet(d: NetDesired, o: NetObserved, opts: PlanNetOptions = {}): NetChange[] {
  const fresh = new Set(opts.fresh ?? []);
  const out: NetChange[] = [...sysctlSteps(d, o, false), ...netfilterAdds(d, o)];
  const { deletes, legacySeen } = netfilterDeletes(d, o);
  if (legacySeen) {
    for (const p of d.legacy?.restorePolicies ?? []) {
      if (o.chains.get(chainKey(p))?.policy !== p.policy) out.push(step(`restore ${iptablesBin(p.family)} ${p.chain} policy ${p.policy} (set by the previous release)`, policyArgv(p)));
    }
  }
  const routeMissing = (r: IpRoute) => (r.dev !== undefined && fresh.has(r.dev)) || !(o.routes.get(`${r.family}/${r.table}`) ?? []).some((g) => routeMatches(r, g));
  const failClosed = (r: IpRoute) => r.type === 'blackhole' || r.type === 'unreachable';
  for (const r of (d.routes ?? []).filter(failClosed)) if (routeMissing(r)) out.push(step(`route ${describeRoute(r)}`, routeArgv(r)));
  const ruleDeletes: NetChange[] = [];
  for (const r of d.ipRules ?? []) {
    const got = o.ipRules.get(r.family) ?? [];
    if (!got.some((g) => ruleMatches(r, g))) out.push(step(`rule ${describeRule(r)}`, ruleAddArgv(r)));
    // Another rule at our priority is a stale one of ours (privroute owns its priorities): deleted after the add.
    for (const g of got.filter((g) => g.priority === r.priority && !(d.ipRules ?? []).some((w) => ruleMatches(w, g)))) {
      ruleDeletes.push(step(`remove stale rule priority ${g.priority}`, ruleDelArgv(r.family, g), [0, 2]));
    }
  }
  const addrDeletes: NetChange[] = [];
  for (const l of d.links ?? []) {
    const got = fresh.has(l.name) ? null : (o.links.get(l.name) ?? null);
    if (l.mtu !== undefined && got?.mtu !== l.mtu) out.push(step(`${l.name} mtu ${l.mtu}`, linkMtuArgv(l.name, l.mtu)));
    for (const a of l.addrs) if (!got?.addrs.includes(a)) out.push(step(`${l.name} address ${a}`, addrReplaceArgv(l.name, a)));
    if (l.up && !got?.up) out.push(step(`${l.name} up`, linkUpArgv(l.name)));
    if (l.prune) for (const a of got?.addrs ?? []) if (!l.addrs.includes(a)) addrDeletes.push(step(`${l.name} remove stale address ${a}`, addrDelArgv(l.name, a)));
  }
  for (const r of (d.routes ?? []).filter((r) => !failClosed(r))) if (routeMissing(r)) out.push(step(`route ${describeRoute(r)}`, routeArgv(r)));
  out.push(...sysctlSteps(d, o, true), ...deletes, ...ruleDeletes, ...addrDeletes);
  return out;
}

/** Run the planned argv in order through `exec` (stops at the first failure, which names the argv). */
export async function applyNet(exec: HostExec, changes: readonly NetChange[]): Promise<void> {
  for (const c of changes) await exec.run(c.argv, c.okCodes ? { okCodes: c.okCodes } : undefined);
}

/** observe → plan → apply; returns what changed ([] = converged). */
export async function reconcileNet(exec: HostExec, d: NetDesired): Promise<string[]> {
  const changes = planNet(d, await observeNet(exec, d));
  await applyNet(exec, changes);
  return changes.map((c) => c.describe);
}

/**
 * Rule-position drift in the built-in chains (pure): each of this owner's rules
 * that is missing, or has a foreign rule that can end the packet's walk above it.
 * (In owned chains apply removes every foreign line; until then it is drift too.)
 */
export function netDrift(d: NetDesired, o: NetObserved): string[] {
  return (d.rules ?? []).map((r) => ruleDrift(d.owner, r, o.chains.get(chainKey(r)))).filter((x): x is string => x !== null);
}

/** True when the target has a default route of `family` in its main table. Read-only. */
export async function hasDefaultRoute(exec: HostExec, family: Family): Promise<boolean> {
  const r = await exec.run(routeListArgv(family, 'main'), { okCodes: [0, 2] });
  return r.code === 0 && (JSON.parse(r.stdout || '[]') as JsonRoute[]).some((x) => x.dst === 'default');
}

/**
 * Everything of `d.owner`'s netfilter state removed (pure): its rules in every
 * table `d` uses, then its owned chains (emptied first). For a hop that is
 * switched off or left (the mesh's `leave`); routes, links and sysctls stay.
 */
export function planNetRemoval(d: NetDesired, o: NetObserved): NetChange[] {
  const { deletes } = netfilterDeletes({ owner: d.owner, chains: d.chains ?? [] }, o);
  const chains = (d.chains ?? []).filter((c) => o.chains.get(chainKey(c))?.exists);
  return [...deletes, ...chains.map((c) => step(`remove chain ${iptablesBin(c.family)} -t ${c.table} ${c.chain}`, deleteChainArgv(c), [0, 1]))];
}
