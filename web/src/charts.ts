/** Small SVG throughput charts (last hour), drawn from the daemon's bounded history. No library: two polylines per chart. */
import { byId, bytes, el } from './dom.js';
import type { Series, State } from './types.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 260;
const H = 64;
const HOUR = 3600_000;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** One chart: rx and tx rates against time (the last hour, right edge = now). */
export function chart(title: string, s: Series, now: number): HTMLElement {
  const max = Math.max(1, ...s.rx, ...s.tx);
  const x = (t: number) => (((t - (now - HOUR)) / HOUR) * W).toFixed(1);
  const y = (v: number) => (H - (v / max) * (H - 4) - 2).toFixed(1);
  const line = (vals: number[], cls: string) => svg('polyline', { class: cls, points: s.t.map((t, i) => `${x(t)},${y(vals[i]!)}`).join(' ') });
  const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: String(W), height: String(H), role: 'img' });
  g.append(svg('rect', { class: 'frame', x: '0', y: '0', width: String(W), height: String(H) }), line(s.rx, 'rx'), line(s.tx, 'tx'));
  const last = s.t.length ? `rx ${bytes(Math.round(s.rx.at(-1)!))}/s · tx ${bytes(Math.round(s.tx.at(-1)!))}/s` : 'collecting…';
  const fig = el('figure', 'chart', g, el('figcaption', undefined, el('strong', undefined, title), ` ${last} (peak ${bytes(Math.round(max))}/s)`));
  fig.dataset.series = title;
  return fig;
}

const HOP_LABEL: Record<string, string> = { gateway: 'CT100 gateway port', xray: 'CT101 XRay port', warp: 'warp0 port' };

/** Redraw the charts: hops first, then clients. */
export function renderCharts(s: State): void {
  const now = Date.parse(s.at);
  const hops = Object.entries(s.traffic.hops).map(([k, v]) => chart(HOP_LABEL[k] ?? k, v, now));
  const clients = Object.entries(s.traffic.clients).map(([k, v]) => chart(`client ${k}`, v, now));
  const all = [...hops, ...clients];
  byId('charts').replaceChildren(...(all.length ? all : [el('p', 'hint', 'No samples yet (the daemon samples every 10 s).')]));
}
