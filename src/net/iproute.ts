/**
 * Policy-routing rules, routes and sysctls as data, reconciled idempotently
 * (observe with `ip -j`, add only what is missing, never flush).
 */
import type { HostExec } from '../host/exec.js';
import type { Change } from '../core/runner.js';

export type Family = 4 | 6;

/** `ip rule add priority P [iif I] [from F] [ipproto P sport S] lookup T`. privroute owns its priorities. */
export interface IpRule {
  family: Family;
  priority: number;
  iif?: string;
  from?: string;
  ipproto?: 'udp' | 'tcp';
  sport?: number;
  table: number | 'main';
}

/** `ip route replace [type] <dst> [via G] [dev D] [metric M] table T`. */
export interface IpRoute {
  family: Family;
  table: number | 'main';
  dst: string; // 'default' or CIDR
  type?: 'unicast' | 'blackhole' | 'unreachable';
  via?: string;
  dev?: string;
  metric?: number;
}

/** A sysctl that must hold a value. */
export interface Sysctl {
  key: string;
  value: string;
}

export interface RoutingDesired {
  rules: readonly IpRule[];
  routes: readonly IpRoute[];
  sysctls: readonly Sysctl[];
}

export interface RoutingObserved {
  rules: Map<Family, JsonRule[]>;
  routes: Map<string, JsonRoute[]>; // key: `${family}/${table}`
  sysctls: Map<string, string>;
}

interface JsonRule { priority: number; iif?: string; src?: string; srclen?: number; table?: string; ipproto?: string; sport?: number | string }
interface JsonRoute { dst: string; gateway?: string; dev?: string; type?: string; metric?: number }

export type RoutingChange = Change &
  ({ op: 'rule'; rule: IpRule; replace: boolean } | { op: 'route'; route: IpRoute } | { op: 'sysctl'; sysctl: Sysctl });

const fam = (f: Family) => (f === 6 ? ['-6'] : []);
const tableName = (t: number | 'main') => String(t);

/** argv for a rule (`add` or `del`). */
export function ruleArgv(r: IpRule, op: 'add' | 'del'): string[] {
  return [
    'ip', ...fam(r.family), 'rule', op, 'priority', String(r.priority),
    ...(r.iif ? ['iif', r.iif] : []), ...(r.from ? ['from', r.from] : []),
    ...(r.ipproto ? ['ipproto', r.ipproto] : []), ...(r.sport !== undefined ? ['sport', String(r.sport)] : []),
    'lookup', tableName(r.table),
  ];
}

/** argv that installs (or replaces) a route. */
export function routeArgv(r: IpRoute): string[] {
  return [
    'ip', ...fam(r.family), 'route', 'replace', ...(r.type && r.type !== 'unicast' ? [r.type] : []), r.dst,
    ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []), 'table', tableName(r.table),
  ];
}

function ruleMatches(want: IpRule, got: JsonRule): boolean {
  // `ip -j rule` prints a host source as "src" alone and a prefix as "src"+"srclen"; "all" means none.
  const src = got.src === undefined || got.src === 'all' ? undefined : got.srclen !== undefined ? `${got.src}/${got.srclen}` : got.src;
  return (
    got.priority === want.priority &&
    got.iif === want.iif &&
    src === want.from &&
    got.ipproto === want.ipproto &&
    (got.sport === undefined ? undefined : Number(got.sport)) === want.sport &&
    got.table === tableName(want.table)
  );
}

function routeMatches(want: IpRoute, got: JsonRoute): boolean {
  return (
    got.dst === want.dst &&
    (got.type ?? 'unicast') === (want.type ?? 'unicast') &&
    (got.metric ?? 0) === (want.metric ?? 0) &&
    (want.via === undefined || got.gateway === want.via) &&
    (want.dev === undefined || got.dev === want.dev)
  );
}

/** Read rules, the tables the desired routes live in, and the sysctls. Read-only. */
export async function observeRouting(exec: HostExec, d: RoutingDesired): Promise<RoutingObserved> {
  const rules = new Map<Family, JsonRule[]>();
  for (const f of new Set(d.rules.map((r) => r.family))) {
    rules.set(f, JSON.parse((await exec.run(['ip', ...fam(f), '-j', 'rule', 'show'])).stdout || '[]'));
  }
  const routes = new Map<string, JsonRoute[]>();
  for (const r of d.routes) {
    const key = `${r.family}/${r.table}`;
    if (routes.has(key)) continue;
    // A table that does not exist yet exits 2 with a truncated "[": it is empty.
    const out = await exec.run(['ip', ...fam(r.family), '-j', 'route', 'show', 'table', tableName(r.table)], { okCodes: [0, 2] });
    routes.set(key, out.code === 0 ? JSON.parse(out.stdout || '[]') : []);
  }
  const sysctls = new Map<string, string>();
  for (const s of d.sysctls) sysctls.set(s.key, (await exec.run(['sysctl', '-n', s.key])).stdout.trim());
  return { rules, routes, sysctls };
}

/** Pure: sysctls first (forwarding off before routes exist), then routes, then rules. */
export function reconcileRouting(d: RoutingDesired, obs: RoutingObserved): RoutingChange[] {
  const out: RoutingChange[] = [];
  for (const s of d.sysctls) {
    if (obs.sysctls.get(s.key) !== s.value) out.push({ op: 'sysctl', sysctl: s, describe: `sysctl ${s.key}=${s.value}` });
  }
  for (const r of d.routes) {
    if (!(obs.routes.get(`${r.family}/${r.table}`) ?? []).some((g) => routeMatches(r, g))) {
      out.push({ op: 'route', route: r, describe: routeArgv(r).slice(1).join(' ') });
    }
  }
  for (const r of d.rules) {
    const got = obs.rules.get(r.family) ?? [];
    if (!got.some((g) => ruleMatches(r, g))) {
      out.push({ op: 'rule', rule: r, replace: got.some((g) => g.priority === r.priority), describe: ruleArgv(r, 'add').slice(1).join(' ') });
    }
  }
  return out;
}

/** Apply routing changes in order. A rule at a taken priority is replaced. */
export async function applyRouting(exec: HostExec, changes: readonly RoutingChange[]): Promise<void> {
  for (const c of changes) {
    if (c.op === 'sysctl') await exec.run(['sysctl', '-q', '-w', `${c.sysctl.key}=${c.sysctl.value}`]);
    else if (c.op === 'route') await exec.run(routeArgv(c.route));
    else {
      if (c.replace) await exec.run(['ip', ...fam(c.rule.family), 'rule', 'del', 'priority', String(c.rule.priority)], { okCodes: [0, 2] });
      await exec.run(ruleArgv(c.rule, 'add'));
    }
  }
}
