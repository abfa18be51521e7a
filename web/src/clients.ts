/** The clients table and its actions (add, disable, enable, revoke with a confirmation) and the secret panel (config + QR, on an explicit click only). */
import { ApiError, getText, post } from './api.js';
import { ago, byId, bytes, el } from './dom.js';
import type { Client, State } from './types.js';

type Refresh = () => Promise<void>;

function message(text: string, bad = false): void {
  const m = byId('client-msg');
  m.textContent = text;
  m.className = bad ? 'error' : '';
}

async function act(op: 'disable' | 'enable' | 'revoke', name: string, refresh: Refresh): Promise<void> {
  if (op === 'revoke' && !confirm(`Revoke client ${name}? Its key stops working and its address is freed.`)) return;
  try {
    const r = await post<{ applied: string; warning?: string }>(`/api/clients/${encodeURIComponent(name)}/${op}`);
    message(`${name}: ${op}d (${r.applied})${r.warning ? ` — ${r.warning}` : ''}`);
    if (op === 'revoke') hideSecret();
  } catch (e) {
    message(`${name}: ${op} failed: ${(e as ApiError).message}`, true);
  }
  await refresh();
}

/** Hide and wipe the secret panel. */
export function hideSecret(): void {
  const p = byId('secret');
  p.replaceChildren();
  p.hidden = true;
}

/** Show one client's config and QR code (fetched now, never cached). */
export async function showSecret(name: string): Promise<void> {
  const p = byId('secret');
  const text = await getText(`/api/clients/${encodeURIComponent(name)}/config`);
  const img = el('img', 'qr');
  img.alt = `QR code of ${name}'s configuration`;
  img.src = `/api/clients/${encodeURIComponent(name)}/qr.png?t=${Date.now()}`;
  const close = el('button', undefined, 'Hide');
  close.type = 'button';
  close.addEventListener('click', hideSecret);
  p.replaceChildren(el('h3', undefined, `Configuration of ${name}`), el('div', 'secret-body', img, el('pre', 'config', text)), close);
  p.dataset.client = name;
  p.hidden = false;
}

function button(label: string, fn: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', cls, label);
  b.type = 'button';
  b.addEventListener('click', fn);
  return b;
}

function row(c: Client, refresh: Refresh): HTMLTableRowElement {
  const state = c.expired ? 'expired' : c.enabled ? (c.live === false ? 'enabled (not live)' : 'enabled') : 'disabled';
  const tr = el('tr', c.enabled && !c.expired ? '' : 'off',
    el('td', undefined, c.name),
    el('td', undefined, c.address6 ? `${c.address4}, ${c.address6}` : c.address4),
    el('td', undefined, state),
    el('td', undefined, c.expiresAt ? c.expiresAt.slice(0, 16).replace('T', ' ') : '—'),
    el('td', undefined, c.live === null ? '?' : ago(c.lastHandshake)),
    el('td', 'num', bytes(c.rxBytes)),
    el('td', 'num', bytes(c.txBytes)),
    el('td', 'actions',
      button('Show config', () => void showSecret(c.name).catch((e: Error) => message(e.message, true))),
      c.enabled ? button('Disable', () => void act('disable', c.name, refresh)) : button('Enable', () => void act('enable', c.name, refresh)),
      button('Revoke', () => void act('revoke', c.name, refresh), 'danger')),
  );
  tr.dataset.client = c.name;
  return tr;
}

/** Redraw the clients table. */
export function renderClients(s: State, refresh: Refresh): void {
  const head = el('tr', undefined, ...['name', 'address', 'state', 'expires', 'last handshake', 'rx', 'tx', ''].map((h) => el('th', undefined, h)));
  byId('clients').replaceChildren(head, ...s.clients.clients.map((c) => row(c, refresh)));
  if (s.clients.warning) message(s.clients.warning, true);
}

/** Wire the add-client form. */
export function wireAddForm(refresh: Refresh): void {
  const f = byId<HTMLFormElement>('add-client');
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(f);
    const name = String(data.get('name') ?? '').trim();
    const expires = String(data.get('expires') ?? '').trim();
    post<{ applied: string; warning?: string }>('/api/clients', { name, ...(expires ? { expires } : {}) })
      .then((r) => {
        message(`${name}: added (${r.applied})${r.warning ? ` — ${r.warning}` : ''}`);
        f.reset();
      }, (e: ApiError) => message(`add ${name} failed: ${e.message}`, true))
      .then(refresh);
  });
}
