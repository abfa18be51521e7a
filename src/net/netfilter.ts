/**
 * iptables/ip6tables rules as data, with ownership, reconciled idempotently.
 *
 * Every rule privroute installs carries a comment `privroute/<owner>:<id>`, where
 * `<owner>` is the component (`warp`, `gateway`, `ingress`...) and `<id>` a short
 * hash of the rule itself. Observation is one `iptables -S` per (family, table,
 * chain); the ids found there tell which desired rules are present and which of
 * this owner's rules are stale. Components sharing a chain never prune each
 * other. Rules without our comment are never touched (no flush-and-rebuild: the
 * host's own firewall survives). Chain policies are set explicitly (FORWARD DROP
 * is the fail-closed default).
 */
import { createHash } from 'node:crypto';
import type { HostExec } from '../host/exec.js';
import type { Change } from '../core/runner.js';

export type NfFamily = 4 | 6;
export type NfTable = 'filter' | 'nat' | 'mangle' | 'raw';

/** One rule: `iptables -t <table> -A <chain> <spec...>`. spec elements must not contain spaces. */
export interface NfRule {
  family: NfFamily;
  table: NfTable;
  chain: string;
  spec: readonly string[];
  /** Insert at the top instead of appending (for rules that must precede foreign ones). */
  first?: boolean;
}

/** A built-in chain's policy. */
export interface NfPolicy {
  family: NfFamily;
  table: NfTable;
  chain: string;
  policy: 'ACCEPT' | 'DROP';
}

/** The desired netfilter state of one component on one host (or container). */
export interface NfDesired {
  /** The owning component; `[a-z0-9-]+`. */
  owner: string;
  rules: readonly NfRule[];
  policies: readonly NfPolicy[];
}

/** What one `-S` listing showed for a (family, table, chain). */
export interface NfChainObserved {
  policy?: string;
  /** Owned rule ids present, with the raw `-A ...` line (for deletion). */
  owned: Map<string, string>;
}

export type NfObserved = Map<string, NfChainObserved>;

export type NfChange = Change &
  ({ op: 'add'; rule: NfRule; id: string } | { op: 'policy'; policy: NfPolicy } | { op: 'delete'; family: NfFamily; table: NfTable; line: string });

/** The comment id of a rule: stable across runs, changes when the rule changes. */
export function ruleId(r: NfRule): string {
  return createHash('sha256').update(`${r.family}|${r.table}|${r.chain}|${r.spec.join(' ')}`).digest('hex').slice(0, 12);
}

/** The binary for a family. */
export function iptablesBin(f: NfFamily): string {
  return f === 4 ? 'iptables' : 'ip6tables';
}

/** Key of a (family, table, chain). */
export function chainKey(f: NfFamily, table: NfTable, chain: string): string {
  return `${f}/${table}/${chain}`;
}

/** The ownership comment of a rule. */
export function ruleComment(owner: string, r: NfRule): string {
  return `privroute/${owner}:${ruleId(r)}`;
}

/** argv to append/insert a rule with its ownership comment. */
export function addArgv(owner: string, r: NfRule): string[] {
  return [iptablesBin(r.family), '-w', '-t', r.table, r.first ? '-I' : '-A', r.chain, ...r.spec, '-m', 'comment', '--comment', ruleComment(owner, r)];
}

/** Parse `iptables -S CHAIN` output, keeping the rules `owner` owns. */
export function parseListing(out: string, owner: string): NfChainObserved {
  const owned = new Map<string, string>();
  let policy: string | undefined;
  const re = new RegExp(`--comment "?privroute/${owner.replace(/[^a-z0-9-]/g, '')}:([0-9a-f]{12})"?`);
  for (const line of out.split('\n')) {
    const p = /^-P \S+ (\S+)/.exec(line);
    if (p) policy = p[1];
    const m = re.exec(line);
    if (m && line.startsWith('-A ')) owned.set(m[1]!, line.trim());
  }
  return { policy, owned };
}

/** The chains a desired state touches. */
function chainsOf(d: NfDesired): { family: NfFamily; table: NfTable; chain: string }[] {
  const seen = new Map<string, { family: NfFamily; table: NfTable; chain: string }>();
  for (const x of [...d.rules, ...d.policies]) seen.set(chainKey(x.family, x.table, x.chain), { family: x.family, table: x.table, chain: x.chain });
  return [...seen.values()];
}

/** argv asking whether `r` is present exactly as written (`iptables -C`: exit 0 present, 1 absent); no ownership comment is added. */
export function checkArgv(r: NfRule): string[] {
  return [iptablesBin(r.family), '-w', '-t', r.table, '-C', r.chain, ...r.spec];
}

/**
 * For components that still install rules check-then-add (without an ownership
 * comment, so they cannot be pruned): whether each rule is present, in order.
 * Read-only; one `iptables -C` per rule.
 */
export async function observeRulesPresent(exec: HostExec, rules: readonly NfRule[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const r of rules) out.push((await exec.run(checkArgv(r), { okCodes: [0, 1] })).code === 0);
  return out;
}

/** Read the chains `desired` touches. Read-only. */
export async function observeNetfilter(exec: HostExec, desired: NfDesired): Promise<NfObserved> {
  const out: NfObserved = new Map();
  for (const c of chainsOf(desired)) {
    const r = await exec.run([iptablesBin(c.family), '-w', '-t', c.table, '-S', c.chain]);
    out.set(chainKey(c.family, c.table, c.chain), parseListing(r.stdout, desired.owner));
  }
  return out;
}

/**
 * Pure: missing rules are added, policies set, and owned rules no longer desired
 * deleted — adds first, then policies, then deletes, so nothing is left open or
 * cut off mid-change. `pruneStale: false` keeps unknown owned rules (when several
 * components share a chain, each prunes only with the full desired set).
 */
export function reconcileNetfilter(desired: NfDesired, obs: NfObserved, opts: { pruneStale?: boolean } = {}): NfChange[] {
  const adds: NfChange[] = [];
  const wanted = new Set<string>();
  for (const r of desired.rules) {
    const id = ruleId(r);
    wanted.add(id);
    if (!obs.get(chainKey(r.family, r.table, r.chain))?.owned.has(id)) {
      adds.push({ op: 'add', rule: r, id, describe: `${iptablesBin(r.family)} -t ${r.table} ${r.first ? '-I' : '-A'} ${r.chain} ${r.spec.join(' ')}` });
    }
  }
  const policies: NfChange[] = desired.policies
    .filter((p) => obs.get(chainKey(p.family, p.table, p.chain))?.policy !== p.policy)
    .map((p) => ({ op: 'policy', policy: p, describe: `${iptablesBin(p.family)} -t ${p.table} -P ${p.chain} ${p.policy}` }));
  const deletes: NfChange[] = [];
  if (opts.pruneStale !== false) {
    for (const [key, c] of obs) {
      const [fam, table] = key.split('/') as [string, NfTable];
      for (const [id, line] of c.owned) {
        if (!wanted.has(id)) deletes.push({ op: 'delete', family: Number(fam) as NfFamily, table, line, describe: `remove stale ${line}` });
      }
    }
  }
  return [...adds, ...policies, ...deletes];
}

/** Split an `iptables -S` line into argv, honouring double quotes. */
export function splitListingLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/** Apply netfilter changes in order through `exec`. */
export async function applyNetfilter(exec: HostExec, owner: string, changes: readonly NfChange[]): Promise<void> {
  for (const c of changes) {
    if (c.op === 'add') await exec.run(addArgv(owner, c.rule));
    else if (c.op === 'policy') await exec.run([iptablesBin(c.policy.family), '-w', '-t', c.policy.table, '-P', c.policy.chain, c.policy.policy]);
    else {
      const argv = splitListingLine(c.line);
      argv[0] = '-D';
      await exec.run([iptablesBin(c.family), '-w', '-t', c.table, ...argv], { okCodes: [0, 1] });
    }
  }
}
