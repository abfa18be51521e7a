/**
 * Policy-routing rules, routes and sysctls as data: the argv builders and
 * `ip -j` parsers behind the one network reconciler (./reconcile.ts). Pure.
 * Nothing is flushed: routes are `replace`d, a rule is added before the rule it
 * replaces (same priority, other content) is deleted.
 */

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

/** A sysctl that must hold a value. `optional`: skipped where the key does not exist (no IPv6 in the kernel). */
export interface Sysctl {
  key: string;
  value: string;
  optional?: boolean;
}

/** One rule as `ip -j rule show` prints it (the fields privroute reads). */
export interface JsonRule { priority: number; iif?: string; src?: string; srclen?: number; table?: string; ipproto?: string; sport?: number | string }
/** One route as `ip -j route show` prints it (the fields privroute reads). */
export interface JsonRoute { dst: string; gateway?: string; dev?: string; type?: string; metric?: number }

const fam = (f: Family) => (f === 6 ? ['-6'] : ['-4']);
const tableName = (t: number | 'main') => String(t);

/** argv adding a rule. */
export function ruleAddArgv(r: IpRule): string[] {
  return [
    'ip', ...fam(r.family), 'rule', 'add', 'priority', String(r.priority),
    ...(r.iif ? ['iif', r.iif] : []), ...(r.from ? ['from', r.from] : []),
    ...(r.ipproto ? ['ipproto', r.ipproto] : []), ...(r.sport !== undefined ? ['sport', String(r.sport)] : []),
    'lookup', tableName(r.table),
  ];
}

/** argv deleting exactly the observed rule `got` (not every rule at its priority). */
export function ruleDelArgv(family: Family, got: JsonRule): string[] {
  const src = jsonRuleSource(got);
  return [
    'ip', ...fam(family), 'rule', 'del', 'priority', String(got.priority),
    ...(got.iif ? ['iif', got.iif] : []), ...(src ? ['from', src] : []),
    ...(got.ipproto ? ['ipproto', got.ipproto] : []), ...(got.sport !== undefined ? ['sport', String(got.sport)] : []),
    ...(got.table ? ['lookup', got.table] : []),
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

/** argv listing a family's rules as JSON. */
export const ruleListArgv = (f: Family): string[] => ['ip', ...fam(f), '-j', 'rule', 'show'];
/** argv listing one table's routes as JSON (exit 2 when the table does not exist yet: it is empty). */
export const routeListArgv = (f: Family, table: number | 'main'): string[] => ['ip', ...fam(f), '-j', 'route', 'show', 'table', tableName(table)];
/** argv reading a sysctl. */
export const sysctlReadArgv = (key: string): string[] => ['sysctl', '-n', key];
/** argv writing a sysctl. */
export const sysctlWriteArgv = (s: Sysctl): string[] => ['sysctl', '-q', '-w', `${s.key}=${s.value}`];

/** `ip -j rule` prints a host source as "src" alone and a prefix as "src"+"srclen"; "all" means none. */
function jsonRuleSource(got: JsonRule): string | undefined {
  return got.src === undefined || got.src === 'all' ? undefined : got.srclen !== undefined ? `${got.src}/${got.srclen}` : got.src;
}

/** True when the observed rule is exactly the desired one. */
export function ruleMatches(want: IpRule, got: JsonRule): boolean {
  return (
    got.priority === want.priority &&
    got.iif === want.iif &&
    jsonRuleSource(got) === want.from &&
    got.ipproto === want.ipproto &&
    (got.sport === undefined ? undefined : Number(got.sport)) === want.sport &&
    got.table === tableName(want.table)
  );
}

/** True when the observed route is the desired one (via/dev compared only where the desired route names them). */
export function routeMatches(want: IpRoute, got: JsonRoute): boolean {
  return (
    got.dst === want.dst &&
    (got.type ?? 'unicast') === (want.type ?? 'unicast') &&
    // The kernel gives IPv6 routes metric 1024 when none is asked for, IPv4 routes 0.
    (got.metric ?? 0) === (want.metric ?? (want.family === 6 ? 1024 : 0)) &&
    (want.via === undefined || got.gateway === want.via) &&
    (want.dev === undefined || got.dev === want.dev)
  );
}

/** Human form of a route for plans. */
export const describeRoute = (r: IpRoute): string => `${r.family === 6 ? '-6 ' : ''}${routeArgv(r).slice(4).join(' ')}`;
/** Human form of a rule for plans. */
export const describeRule = (r: IpRule): string => `${r.family === 6 ? '-6 ' : ''}${ruleAddArgv(r).slice(4).join(' ')}`;
