/**
 * iptables/ip6tables as data, with ownership: the rule model, listing parser and
 * the pure planner behind the one network reconciler (./reconcile.ts).
 *
 * Every rule privroute installs carries a comment `privroute/<owner>:<id>`, where
 * `<owner>` is the hop (`gateway`, `xray`, `warp`, `vps`) and `<id>` a short hash
 * of the rule itself. A hop may also own whole chains (`PRIVROUTE-*`): every line
 * in an owned chain that is not a wanted rule of that owner is stale. Rules
 * without our comment in the built-in chains are never touched (no flush and
 * rebuild: the host's own firewall survives), except the exact rules a previous
 * release installed without a comment (`legacy`), which are replaced: the
 * commented rule is added first, the old one deleted after.
 *
 * Our rules sit at the top of their chain, in the order the hop gives them, so a
 * foreign ACCEPT further down cannot open a bypass; a foreign rule that ends up
 * above one of ours is reported as drift (status), not fought over.
 */
import { createHash } from 'node:crypto';

export type NfFamily = 4 | 6;
export type NfTable = 'filter' | 'nat' | 'mangle' | 'raw';

/** One rule: `iptables -t <table> -I <chain> <pos> <spec...>`. spec elements are argv (no shell). */
export interface NfRule {
  family: NfFamily;
  table: NfTable;
  chain: string;
  spec: readonly string[];
}

/** A chain privroute owns outright (created if missing; every foreign line in it is stale). */
export interface NfChain {
  family: NfFamily;
  table: NfTable;
  chain: string;
}

/** A built-in chain's policy. */
export interface NfPolicy {
  family: NfFamily;
  table: NfTable;
  chain: string;
  policy: 'ACCEPT' | 'DROP';
}

/** One `-A` line of a listing, with the privroute owner and id its comment names (if any). */
export interface NfLine {
  line: string;
  owner?: string;
  id?: string;
}

/** What one `iptables -S <chain>` showed. `exists` is false when the chain is missing. */
export interface NfListing {
  exists: boolean;
  policy?: string;
  lines: NfLine[];
}

/** The comment id of a rule: stable across runs, changes when the rule changes. */
export function ruleId(r: NfRule): string {
  return createHash('sha256').update(`${r.family}|${r.table}|${r.chain}|${r.spec.join(' ')}`).digest('hex').slice(0, 12);
}

/** The binary for a family. */
export function iptablesBin(f: NfFamily): string {
  return f === 4 ? 'iptables' : 'ip6tables';
}

/** Key of a (family, table, chain). */
export function chainKey(x: { family: NfFamily; table: NfTable; chain: string }): string {
  return `${x.family}/${x.table}/${x.chain}`;
}

/** The ownership comment of a rule. */
export function ruleComment(owner: string, r: NfRule): string {
  return `privroute/${owner}:${ruleId(r)}`;
}

/** True for the chains the kernel provides (their policy and foreign rules are not ours). */
export function isBuiltinChain(chain: string): boolean {
  return ['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING'].includes(chain);
}

/** argv listing every chain of one table (`-S`). */
export function listTableArgv(family: NfFamily, table: NfTable): string[] {
  return [iptablesBin(family), '-w', '-t', table, '-S'];
}

/** argv inserting a rule at 1-based position `pos` with its ownership comment. */
export function insertArgv(owner: string, r: NfRule, pos: number): string[] {
  return [iptablesBin(r.family), '-w', '-t', r.table, '-I', r.chain, String(pos), ...r.spec, '-m', 'comment', '--comment', ruleComment(owner, r)];
}

/** argv asking whether `r` is present exactly as written, without a comment (`-C`: exit 0 present, 1 absent). */
export function checkArgv(r: NfRule): string[] {
  return [iptablesBin(r.family), '-w', '-t', r.table, '-C', r.chain, ...r.spec];
}

/** argv deleting `r` exactly as written (without a comment). */
export function deleteSpecArgv(r: NfRule): string[] {
  return [iptablesBin(r.family), '-w', '-t', r.table, '-D', r.chain, ...r.spec];
}

/** conntrack address options that `iptables -S` prints without their /32 (and `-D` then refuses). */
const CT_ADDR = new Set(['--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst']);

/**
 * argv deleting a listed line (`-A X ...` becomes `-D X ...`). An IPv4 conntrack address the
 * listing printed bare gets its /32 back: `iptables -D` with the bare address fails with
 * "Bad rule" (measured; ip6tables accepts the bare address).
 */
export function deleteLineArgv(family: NfFamily, table: NfTable, line: string): string[] {
  const argv = splitListingLine(line);
  argv[0] = '-D';
  if (family === 4) for (let i = 1; i < argv.length; i++) if (CT_ADDR.has(argv[i - 1]!) && !argv[i]!.includes('/')) argv[i] += '/32';
  return [iptablesBin(family), '-w', '-t', table, ...argv];
}

/** argv creating a chain. */
export function newChainArgv(c: NfChain): string[] {
  return [iptablesBin(c.family), '-w', '-t', c.table, '-N', c.chain];
}

/** argv deleting an (empty) chain. */
export function deleteChainArgv(c: NfChain): string[] {
  return [iptablesBin(c.family), '-w', '-t', c.table, '-X', c.chain];
}

/** argv setting a built-in chain's policy. */
export function policyArgv(p: NfPolicy): string[] {
  return [iptablesBin(p.family), '-w', '-t', p.table, '-P', p.chain, p.policy];
}

const COMMENT = /--comment "?privroute\/([a-z0-9-]+):([0-9a-f]{12})"?/;

/** Parse `iptables -S CHAIN` output (pure). */
export function parseListing(out: string): NfListing {
  const lines: NfLine[] = [];
  let policy: string | undefined;
  for (const raw of out.split('\n')) {
    const line = raw.trim();
    const p = /^-P \S+ (\S+)/.exec(line);
    if (p) policy = p[1];
    if (!line.startsWith('-A ')) continue;
    const m = COMMENT.exec(line);
    lines.push(m ? { line, owner: m[1], id: m[2] } : { line });
  }
  return { exists: true, policy, lines };
}

/** Parse `iptables -t T -S` output (every chain of a table) into per-chain listings by name (pure). */
export function parseTableListing(out: string): Map<string, NfListing> {
  const chains = new Map<string, NfListing>();
  const get = (name: string) => {
    if (!chains.has(name)) chains.set(name, { exists: true, lines: [] });
    return chains.get(name)!;
  };
  for (const raw of out.split('\n')) {
    const line = raw.trim();
    const m = /^-([PNA]) (\S+)(?: (\S+))?/.exec(line);
    if (!m) continue;
    const c = get(m[2]!);
    if (m[1] === 'P') c.policy = m[3];
    if (m[1] === 'A') c.lines.push(...parseListing(line).lines);
  }
  return chains;
}

/** Split an `iptables -S` line into argv, honouring double quotes. */
export function splitListingLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/** The jump target of a listed line (`-j X` / `-g X`), or null. */
export function jumpTarget(line: string): string | null {
  return / -[jg] (\S+)/.exec(line)?.[1] ?? null;
}

/** Targets that never end a packet's walk; any other target (a verdict, or a jump into a chain that may accept) can. */
const NON_TERMINAL = new Set(['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'TCPMSS', 'CT', 'NOTRACK', 'TRACE', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'CHECKSUM', 'SECMARK', 'CONNSECMARK']);

/**
 * Where each missing rule goes (pure): right after the nearest earlier rule of the
 * same chain that is present (or at the top), so ours keep the hop's order and
 * stay above foreign ones. A rule of ours found out of order (or twice) counts
 * as missing: a copy is inserted in its place, and the old line is returned in
 * `misplaced` as its 1-based position once the inserts are done (descending, so
 * deleting them in that order keeps the numbers valid).
 */
export function placeRules(owner: string, rules: readonly NfRule[], listing: NfListing | undefined): { inserts: { rule: NfRule; pos: number }[]; misplaced: number[] } {
  const order = new Map(rules.map((r, i) => [ruleId(r), i]));
  const MISPLACED = '';
  let last = -1;
  const seen = new Set<string>();
  const model: (string | null)[] = (listing?.lines ?? []).map((l) => {
    if (l.owner !== owner || !order.has(l.id!)) return null;
    const i = order.get(l.id!)!;
    if (i <= last || seen.has(l.id!)) return MISPLACED;
    last = i;
    seen.add(l.id!);
    return l.id!;
  });
  const inserts: { rule: NfRule; pos: number }[] = [];
  let after = -1; // index in model of the last desired rule placed so far
  for (const r of rules) {
    const id = ruleId(r);
    const at = model.indexOf(id);
    if (at >= 0) {
      after = Math.max(after, at);
      continue;
    }
    model.splice(after + 1, 0, id);
    after += 1;
    inserts.push({ rule: r, pos: after + 1 });
  }
  const misplaced = model.flatMap((x, i) => (x === MISPLACED ? [i + 1] : [])).reverse();
  return { inserts, misplaced };
}

/** The 1-based positions of missing rules, in insert order (see {@link placeRules}). */
export function insertPositions(owner: string, rules: readonly NfRule[], listing: NfListing | undefined): { rule: NfRule; pos: number }[] {
  return placeRules(owner, rules, listing).inserts;
}

/** argv deleting rule number `pos` of a chain. */
export function deleteNumberArgv(c: { family: NfFamily; table: NfTable; chain: string }, pos: number): string[] {
  return [iptablesBin(c.family), '-w', '-t', c.table, '-D', c.chain, String(pos)];
}

/** Drift of one desired rule in a built-in chain: missing, or a foreign terminal rule above it. */
export function ruleDrift(owner: string, r: NfRule, listing: NfListing | undefined): string | null {
  const lines = listing?.lines ?? [];
  const at = lines.findIndex((l) => l.owner === owner && l.id === ruleId(r));
  const what = `${iptablesBin(r.family)} -t ${r.table} ${r.chain} ${r.spec.join(' ')}`;
  if (at < 0) return `missing: ${what}`;
  const foreign = lines.slice(0, at).find((l) => {
    const target = jumpTarget(l.line);
    return !l.owner && target !== null && !NON_TERMINAL.has(target);
  });
  return foreign ? `${what} is after a foreign rule (${foreign.line})` : null;
}
