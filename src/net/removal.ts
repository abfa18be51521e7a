/**
 * Removing a hop's networking state from a target (uninstall, `privroute teardown`):
 * planned purely from the same desired state ({@link NetDesired}) the hop reconciles
 * with, against what observeNet saw. Only what the hop owns goes:
 *   - its netfilter lines (by ownership comment) and owned chains ({@link planNetRemoval});
 *   - its policy rules: the observed rules at the hop's priorities (privroute owns them,
 *     as planNet assumes when it replaces a stale rule at one);
 *   - its routes: the observed routes that match a desired one exactly.
 * Order: netfilter first, then the rules (nothing is steered into the hop's table any
 * more), then the routes (its blackhole goes last). Links and sysctls stay: links are
 * OVS ports (removed with the bridge) or tunnels their owner deletes; a sysctl's value
 * before privroute is not recorded, so it is not guessed.
 */
import { describeRoute, ruleDelArgv, routeMatches, type IpRoute } from './iproute.js';
import { planNetRemoval, type NetChange, type NetDesired, type NetObserved } from './reconcile.js';

/** argv deleting a route exactly as desired (type, dst, via, dev, metric, table). */
export function routeDelArgv(r: IpRoute): string[] {
  return [
    'ip', r.family === 6 ? '-6' : '-4', 'route', 'del', ...(r.type && r.type !== 'unicast' ? [r.type] : []), r.dst,
    ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []), 'table', String(r.table),
  ];
}

/** Everything of `d` that `o` shows, removed (pure; [] when nothing of it is left: idempotent). */
export function planNetTeardown(d: NetDesired, o: NetObserved): NetChange[] {
  // planNetRemoval calls every line of the owner "stale" (its wording for reconcile); here they all go.
  const out: NetChange[] = planNetRemoval(d, o).map((c) => ({ ...c, describe: c.describe.replace(/^remove stale /, 'remove ') }));
  const seen = new Set<string>();
  for (const r of d.ipRules ?? []) {
    for (const g of (o.ipRules.get(r.family) ?? []).filter((g) => g.priority === r.priority)) {
      const argv = ruleDelArgv(r.family, g);
      if (seen.has(argv.join(' '))) continue;
      seen.add(argv.join(' '));
      out.push({ describe: `remove rule ${argv.slice(4).join(' ')}${r.family === 6 ? ' (IPv6)' : ''}`, argv, okCodes: [0, 2] });
    }
  }
  for (const r of d.routes ?? []) {
    if (!(o.routes.get(`${r.family}/${r.table}`) ?? []).some((g) => routeMatches(r, g))) continue;
    out.push({ describe: `remove route ${describeRoute(r)}`, argv: routeDelArgv(r), okCodes: [0, 2] });
  }
  return out;
}
