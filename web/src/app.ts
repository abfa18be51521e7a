/** The dashboard's entry: poll /api/state every 2 s and redraw; wire the forms. */
import { getJson, post } from './api.js';
import { renderChain } from './chain.js';
import { renderCharts } from './charts.js';
import { renderClients, wireAddForm } from './clients.js';
import { ago, byId, el } from './dom.js';
import type { State } from './types.js';

const POLL_MS = 2000;

function renderAudit(s: State): void {
  byId('audit').replaceChildren(...(s.audit.length ? s.audit : []).map((a) =>
    el('li', a.outcome === 'ok' ? '' : 'bad', `${ago(a.at)}: ${a.op} ${a.client} — ${a.outcome} (${a.detail}) [${a.via} from ${a.remote}]`)));
}

let busy = false;
async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const s = await getJson<State>('/api/state');
    renderChain(s);
    renderClients(s, refresh);
    renderCharts(s);
    renderAudit(s);
    document.body.dataset.loaded = s.at;
  } catch (e) {
    byId('updated').textContent = `update failed: ${(e as Error).message}`;
  } finally {
    busy = false;
  }
}

function start(): void {
  wireAddForm(refresh);
  byId('repair').addEventListener('click', () => {
    void post('/api/repair').then(() => (byId('updated').textContent = 'repair started'), (e: Error) => (byId('updated').textContent = `repair: ${e.message}`));
  });
  byId<HTMLFormElement>('logout').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void post('/api/logout').finally(() => location.reload());
  });
  void refresh();
  setInterval(() => void refresh(), POLL_MS);
}

start();
