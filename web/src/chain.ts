/** The chain diagram, the protections, the rotations and the exit address. */
import { ago, byId, el } from './dom.js';
import type { State } from './types.js';

const cls = (ok: boolean | null): string => (ok === null ? 'unknown' : ok ? 'ok' : 'bad');

/** Redraw the chain section from the state. */
export function renderChain(s: State): void {
  const chain = byId('chain');
  const nodes = s.chain.filter((n) => n.id !== 'fabric');
  const fabric = s.chain.find((n) => n.id === 'fabric');
  chain.replaceChildren(
    ...nodes.map((n) => {
      const li = el('li', `node ${cls(n.ok)}`, el('strong', undefined, n.label), el('span', 'state', n.ok === null ? '—' : n.ok ? 'healthy' : 'FAILED'), el('small', 'reason', n.reason));
      li.dataset.node = n.id;
      li.dataset.ok = String(n.ok);
      li.title = n.reason;
      return li;
    }),
  );
  if (fabric) {
    const f = el('li', `node fabric ${cls(fabric.ok)}`, el('strong', undefined, fabric.label), el('span', 'state', fabric.ok === null ? '—' : fabric.ok ? 'healthy' : 'FAILED'), el('small', 'reason', fabric.reason));
    f.dataset.node = 'fabric';
    f.dataset.ok = String(fabric.ok);
    chain.append(f);
  }
  const overall = byId('overall');
  overall.textContent = s.status === null ? 'no status yet' : s.status.ok ? 'every hop healthy' : `unhealthy: ${s.status.hops.filter((h) => !h.ok).map((h) => h.hop).join(', ')}`;
  overall.className = `pill ${cls(s.status?.ok ?? null)}`;
  byId('updated').textContent = s.status ? `checked ${ago(s.status.at)}` : '';

  byId('protections').replaceChildren(
    ...(s.status?.protections ?? []).map((p) => el('li', `prot ${p.status}`, el('span', 'tag', p.status), ` ${p.name}`, p.status === 'delegated' && p.hop ? ` (by ${p.hop})` : p.status === 'unavailable' && p.reason ? ` — ${p.reason}` : '')),
  );
  const mac = s.status?.macRotation;
  const rot = byId<HTMLTableElement>('rotations');
  rot.replaceChildren(
    el('tr', undefined, el('th', undefined, 'job'), el('th', undefined, 'last'), el('th', undefined, 'next')),
    ...s.jobs.map((j) => el('tr', j.lastOutcome === 'failed' ? 'bad' : '',
      el('td', undefined, j.name.replace('_', ' ')),
      el('td', undefined, j.running ? 'running…' : j.lastEnd ? `${j.lastOutcome} ${ago(j.lastEnd)}` : 'never', j.lastError ? el('small', 'reason', ` ${j.lastError}`) : null),
      el('td', undefined, j.next ? ago(j.next) : '—'))),
  );
  if (mac && mac.available !== true) rot.append(el('tr', 'bad', el('td', undefined, 'MAC rotation'), el('td', undefined, 'unavailable'), el('td', undefined, mac.reason ?? '')));
  byId('exit').textContent = s.exit.address ? `Exit address seen by the ${s.exit.probe}: ${s.exit.address} (${ago(s.exit.at)})` : `Exit address: not seen yet (${s.exit.probe})`;
}
