/** Tiny DOM helpers: build elements from data with textContent only (never innerHTML), so nothing the daemon sends is parsed as markup. */

/** Create `<tag class=cls>` with children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

/** The element with this id (throws when the page shell lacks it). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
}

/** A short "n s/min/h ago" or an absolute time. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) {
    const f = -s;
    return f < 120 ? `in ${f} s` : f < 7200 ? `in ${Math.round(f / 60)} min` : f < 172800 ? `in ${Math.round(f / 3600)} h` : `in ${Math.round(f / 86400)} d`;
  }
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
}

/** Bytes with a binary unit. */
export function bytes(n: number | null): string {
  if (n === null) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${i === 0 ? v : v.toFixed(1)} ${u[i]}`;
}
